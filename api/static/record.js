// The printable service record (api/templates/record_page.html): its print button. A file, not an
// inline handler, because the service's Content-Security-Policy allows scripts from the service only.
const button = document.getElementById("print");
if (button) button.addEventListener("click", () => window.print());
