// The printable record in a tab of its own, for the desk and the history page alike. The page is fetched
// with the token in the header and put into a blank tab (opened at once, while the click still counts
// as the user's): no address, log or history entry ever holds the token. The tab shares this page's
// origin and security policy, so the record's stylesheet and print script load from /static as on the
// record page itself.

import { call } from "./api.js";

/** Open incident `number`'s record; `onBlocked()` when pop-ups are refused, `onError(error)` when the fetch fails. */
export async function openRecordTab(number, { title, onBlocked, onError }) {
  const tab = window.open("", "_blank");
  if (!tab) {
    onBlocked();
    return;
  }
  tab.document.title = title;
  let html;
  try {
    html = await call("GET", `/incidents/${number}/record`, { html: true });
  } catch (error) {
    tab.close();
    onError(error);
    return;
  }
  const page = new DOMParser().parseFromString(html, "text/html");
  const doc = tab.document;
  doc.replaceChild(doc.adoptNode(page.documentElement), doc.documentElement);
  // Parsed scripts never run; the record's own (print button) is recreated so that it does.
  for (const inert of doc.querySelectorAll("script[src]")) {
    const script = doc.createElement("script");
    script.src = inert.getAttribute("src");
    inert.replaceWith(script);
  }
  tab.focus();
}
