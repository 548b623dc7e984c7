/* Registration form: show only the fields that apply. Without JavaScript every field is there,
   each labelled for whom it is, and the server asks for the ones that apply (forms.py). A field
   the server marked wrong stays in view until the supplier changes the answer that hides it. */
(function () {
  "use strict";

  var form = document.querySelector("form.registration-form");
  if (!form) return;

  function box(name) {
    return document.getElementById("div_id_" + name);
  }

  function showOnly(field, visible, firstTime) {
    var wrapper = box(field);
    if (!wrapper) return;
    var input = wrapper.querySelector("input, select, textarea");
    var hasError = input && input.getAttribute("aria-invalid") === "true";
    wrapper.hidden = !visible && !(firstTime && hasError);
  }

  var country = document.getElementById("id_country");
  if (country && box("organisation_number") && box("national_id")) {
    var syncCountry = function (firstTime) {
      var norway = country.value === "NO";
      showOnly("organisation_number", norway, firstTime);
      showOnly("national_id", !norway, firstTime);
    };
    country.addEventListener("change", function () { syncCountry(false); });
    syncCountry(true);
  }

  var wants = document.getElementById("id_wants_one_to_one");
  if (wants && box("one_to_one_topics")) {
    var syncTopics = function (firstTime) {
      showOnly("one_to_one_topics", wants.checked, firstTime);
    };
    wants.addEventListener("change", function () { syncTopics(false); });
    syncTopics(true);
  }
})();
