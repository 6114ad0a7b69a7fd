/**
 * The dashboard's two static files, served from memory under `/assets/`: one stylesheet and one
 * small script. Pages carry no inline script or style, so the Content-Security-Policy can forbid
 * both. Every page reads without the script; it only refreshes live pages in place.
 */

/** Readable on a phone (nothing wider than the screen: wide tables scroll in their own box). */
export const css = `
:root{color-scheme:light;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;
--pass:#0a6b2c;--pass-bg:#e3f5e9;--warn:#7a4b00;--warn-bg:#fff2d6;--fail:#9b1c1c;--fail-bg:#fde8e8;
--link:#0b5cad}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}
.skip{position:absolute;left:-9999px}.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.5rem;z-index:2}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.75rem 1rem;border-bottom:1px solid var(--line);background:var(--soft)}
header .brand{font-weight:700;text-decoration:none;color:var(--fg)}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
nav a[aria-current=page]{font-weight:700;color:var(--fg)}
header .who{margin-left:auto;display:flex;gap:.75rem;align-items:center;color:var(--muted)}
main{max-width:72rem;margin:0 auto;padding:1rem}main.narrow{max-width:32rem;margin-top:3rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.15rem;margin:1.75rem 0 .5rem}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);white-space:nowrap}
.num{text-align:right}
.badge{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.85em;font-weight:600;white-space:nowrap}
.good{color:var(--pass);background:var(--pass-bg)}.warn{color:var(--warn);background:var(--warn-bg)}
.bad{color:var(--fail);background:var(--fail-bg)}.idle{color:var(--muted);background:var(--soft)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.75rem}
.card{border:1px solid var(--line);border-radius:.5rem;padding:.75rem}
.card .value{font-size:1.6rem;font-weight:700}
.card .label{color:var(--muted)}
.muted{color:var(--muted)}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0}
.actions form{margin:0}
button,.button{font:inherit;padding:.35rem .9rem;border:1px solid var(--line);border-radius:.4rem;background:var(--soft);color:var(--fg);cursor:pointer;text-decoration:none}
a.button[aria-current]{border-color:var(--fg);font-weight:700}
button.primary{background:var(--link);border-color:var(--link);color:#fff}
button:focus-visible,a:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #0969da;outline-offset:2px}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input,select{font:inherit;padding:.35rem .5rem;border:1px solid var(--muted);border-radius:.3rem;max-width:100%}
input[type=password],input[type=text]{width:24rem}
.notice{padding:.6rem .8rem;border-radius:.4rem;margin:.75rem 0}
.secret{display:block;padding:.6rem;background:var(--soft);border:1px solid var(--line);word-break:break-all;font-family:ui-monospace,monospace}
pre{white-space:pre-wrap;word-break:break-word;background:var(--soft);padding:.6rem;border-radius:.3rem;margin:.25rem 0;max-height:24rem;overflow:auto}
svg{max-width:100%;height:auto}
.chart text{font-size:11px;fill:var(--muted)}
@media (max-width:40rem){.chart text{font-size:20px}}
.timeline{list-style:none;padding:0;margin:0}
.timeline>li{border-left:3px solid var(--line);padding:.25rem 0 .75rem .75rem}
.timeline>li.error{border-left-color:var(--fail)}
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.25rem 1rem;margin:0}
dl.facts dd,td,.notice{overflow-wrap:anywhere}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
details summary{cursor:pointer}
`

/**
 * Refreshes a live page (`<main data-live>`) every 10 s in place: fetches the same URL and swaps
 * in its `<main>`. It waits while the reader is in the page — focus inside `<main>`, a
 * `<details>` open, the tab hidden — so nothing moves under them; stops when the page is no
 * longer live (a run that ended); and reloads when the session ended, which shows the sign-in
 * page instead of a page that silently stopped updating. Reloading by hand does the same.
 */
export const liveJs = `(() => {
  const every = 10000
  const timer = setInterval(async () => {
    const main = document.querySelector("main[data-live]")
    if (!main) return clearInterval(timer)
    if (document.hidden || main.contains(document.activeElement) || main.querySelector("details[open]")) return
    try {
      const response = await fetch(location.href, { headers: { accept: "text/html" }, credentials: "same-origin" })
      if (response.redirected) return location.reload()
      if (!response.ok) return
      const next = new DOMParser().parseFromString(await response.text(), "text/html")
      const fresh = next.querySelector("main")
      if (!fresh) return
      main.innerHTML = fresh.innerHTML
      document.title = next.title
      if (!fresh.hasAttribute("data-live")) main.removeAttribute("data-live")
    } catch {}
  }, every)
})()
`
