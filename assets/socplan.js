// The plan switcher (a <details> in the header) closes once a plan is chosen, or on Escape:
// links inside it change the page without reloading it, so it would otherwise stay open.
document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".plan-switcher a");
    if (link) {
        link.closest("details").removeAttribute("open");
    }
});
document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
        return;
    }
    var open = document.querySelector(".plan-switcher[open]");
    if (open) {
        open.removeAttribute("open");
        open.querySelector("summary").focus();
    }
});
