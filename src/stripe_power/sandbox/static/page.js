// The hosted pages' test-card buttons fill the card number field. Served as a file: the pages'
// Content-Security-Policy runs no inline script.
document.addEventListener("DOMContentLoaded", () => {
  const field = document.getElementById("card_number");
  for (const button of document.querySelectorAll("button[data-number]")) {
    button.addEventListener("click", () => {
      if (field) field.value = button.dataset.number;
    });
  }
});
