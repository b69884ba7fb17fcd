// The editors' workspace: code a selected passage, and move through suggestions by keyboard.
// Served from static/ (the CSP allows no inline script); htmx does the requests.
(() => {
  "use strict";

  const textBox = () => document.getElementById("article-text");
  const suggestions = () =>
    Array.from(document.querySelectorAll('#statements .card[data-state="suggested"]'));
  const currentCard = () => document.activeElement?.closest?.("#statements .card") ?? null;

  // Offsets count characters of the article's text: the box holds exactly that text (the
  // highlights and anchors add elements, never characters).
  function selectionOffsets(box) {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) return null;
    const range = selection.getRangeAt(0);
    if (!box.contains(range.startContainer) || !box.contains(range.endContainer)) return null;
    const before = document.createRange();
    before.selectNodeContents(box);
    before.setEnd(range.startContainer, range.startOffset);
    const start = before.toString().length;
    const end = start + range.toString().length;
    return end > start ? { start, end } : null;
  }

  document.addEventListener("mouseup", () => {
    const box = textBox();
    if (!box || !box.dataset.newUrl) return;
    const offsets = selectionOffsets(box);
    if (!offsets) return;
    const url = `${box.dataset.newUrl}?start=${offsets.start}&end=${offsets.end}`;
    htmx.ajax("GET", url, { target: "#new-statement", swap: "innerHTML" });
  });

  function focusCard(card) {
    if (!card) return;
    card.focus();
    card.scrollIntoView({ block: "nearest" });
    document.querySelectorAll(".card.current").forEach((c) => c.classList.remove("current"));
    card.classList.add("current");
  }

  let resumeAt = null; // after accepting or rejecting, the next suggestion takes the focus

  document.addEventListener("htmx:afterSettle", () => {
    if (resumeAt === null) return;
    const list = suggestions();
    focusCard(list[Math.min(resumeAt, list.length - 1)]);
    resumeAt = null;
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea, [contenteditable]")) return;
    const help = document.getElementById("shortcuts");
    const list = suggestions();
    const card = currentCard();
    const index = list.indexOf(card);
    switch (event.key) {
      case "j":
        focusCard(list[index < 0 ? 0 : Math.min(index + 1, list.length - 1)]);
        break;
      case "k":
        focusCard(list[index <= 0 ? 0 : index - 1]);
        break;
      case "a":
      case "r": {
        const button = card?.querySelector(event.key === "a" ? "button.accept" : "button.reject");
        if (!button) return;
        resumeAt = Math.max(index, 0);
        button.click();
        break;
      }
      case "e":
        card?.querySelector("a.edit")?.click();
        break;
      case "?":
        if (help.open) help.close();
        else help.showModal();
        break;
      default:
        return;
    }
    event.preventDefault();
  });
})();
