/* Moderator dashboard: new and changed questions arrive by server-sent events; each card is
   fetched from the server (rendered for this moderator, with its CSRF token). A card the
   moderator is working in is not replaced under their hands: it is flagged instead. */
(function () {
  "use strict";
  var root = document.getElementById("qa-dashboard");
  if (!root || !window.EventSource || !window.fetch) return;
  var status = document.getElementById("qa-live-status");
  var cardUrl = root.getAttribute("data-card-url");

  function announce(text) {
    if (status) status.textContent = text;
  }

  function column(name) {
    var map = { awaiting: "awaiting", published: "published", answered: "answered" };
    return root.querySelector('[data-column="' + (map[name] || "closed") + '"]');
  }

  function recount() {
    root.querySelectorAll("[data-column]").forEach(function (col) {
      var count = col.parentNode.querySelector(".qa-count");
      if (count) count.textContent = col.children.length;
    });
  }

  function flag(card) {
    if (card.querySelector(".qa-changed-note")) return;
    card.classList.add("qa-changed");
    var note = document.createElement("p");
    note.className = "qa-changed-note alert alert-warning small mt-2 mb-0";
    note.setAttribute("role", "alert");
    note.textContent = root.getAttribute("data-label-changed") + " ";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-warning ms-1";
    button.textContent = root.getAttribute("data-label-reload");
    button.addEventListener("click", function () {
      refresh(card.getAttribute("data-id"), true);
    });
    note.appendChild(button);
    card.querySelector(".card-body").appendChild(note);
  }

  function refresh(id, force) {
    var existing = document.getElementById("q-" + id);
    if (existing && !force && existing.contains(document.activeElement)) {
      flag(existing);
      return Promise.resolve(false);
    }
    return fetch(cardUrl.replace(/\/0\/card\/$/, "/" + id + "/card/"), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html.trim(); // our own server-rendered, escaped card
        var card = holder.content.firstElementChild;
        var current = document.getElementById("q-" + id);
        var target = column(card.getAttribute("data-status"));
        if (current && current.parentNode === target) {
          current.replaceWith(card);
        } else {
          if (current) current.remove();
          target.appendChild(card);
        }
        recount();
        return !current;
      });
  }

  var url = root.getAttribute("data-events-url") +
    "?last_event_id=" + encodeURIComponent(root.getAttribute("data-last-event-id") || "0");
  var source = new EventSource(url);
  var versions = {};
  function handle(event) {
    var data = JSON.parse(event.data);
    if (versions[data.id] && versions[data.id] >= data.version) return;
    versions[data.id] = data.version;
    var card = document.getElementById("q-" + data.id);
    if (card && parseInt(card.getAttribute("data-version"), 10) >= data.version) return;
    refresh(data.id, false).then(function (isNew) {
      if (isNew && event.type === "question_new") announce(root.getAttribute("data-label-new"));
    });
  }
  source.addEventListener("question_new", handle);
  source.addEventListener("question", handle);
  source.addEventListener("open", function () { root.setAttribute("data-live", "on"); });
  source.addEventListener("error", function () { root.setAttribute("data-live", "reconnecting"); });
})();
