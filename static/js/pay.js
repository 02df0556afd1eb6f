/* The card page: Stripe.js's card element, confirmed in the page, then "confirming..." while
   the signed webhook books the place. Without Stripe.js (blocked, offline) the form says so. */
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (!form) { return; }
  var errors = document.getElementById("card-errors");
  var button = document.getElementById("pay-button");
  if (typeof window.Stripe !== "function") {
    errors.textContent = "The secure card form could not load. Please check your connection and reload the page.";
    button.disabled = true;
    return;
  }
  var stripe = window.Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card", {
    hidePostalCode: true,
    style: { base: { fontSize: "18px", color: "#1f2a2c" } },
  });
  card.mount("#card-element");
  card.on("change", function (event) {
    errors.textContent = event && event.error ? event.error.message : "";
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    var label = button.textContent;
    button.textContent = "Paying…";
    errors.textContent = "";
    stripe.confirmCardPayment(form.dataset.clientSecret, { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) {
          errors.textContent = (result.error.message || "The payment did not go through.") +
            " Nothing was charged. Please check the details or try another card.";
          button.disabled = false;
          button.textContent = label;
          return;
        }
        window.location.assign(form.dataset.statusUrl);
      });
  });
})();
