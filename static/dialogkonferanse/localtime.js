/* "Your time": for a reader whose browser is in another time zone than Europe/Oslo, add a
   line with the same time in their zone under each full date and time still ahead
   (<time datetime="…T…">; a clock time alone, data-clock, is left as it is).
   Progressive: without JavaScript, or in Oslo time, the page is unchanged. Loaded at the end
   of <body> without defer, so the lines are there before the first paint (no layout shift).
   Texts come from the script element's data attributes, in the page's language. */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !window.Intl || !Intl.DateTimeFormat) return;
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone || zone === "Europe/Oslo") return;

  var lang = (document.documentElement.lang || "en").toLowerCase();
  var norwegian = lang === "nb" || lang === "nn" || lang === "no";
  var locale = norwegian ? lang + "-NO" : "en-GB";
  var label = script.getAttribute("data-label") || "Your time: {time} ({zone})";
  var joiner = script.getAttribute("data-joiner") || "{date}, {time}";
  var place = zone.split("/").pop().replace(/_/g, " ");

  function formatter(timeZone, options) {
    try {
      return new Intl.DateTimeFormat(locale, Object.assign({ timeZone: timeZone }, options));
    } catch (e) {
      return new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: timeZone }, options));
    }
  }

  var clock = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  var day = { weekday: "long", day: "numeric", month: "long" };
  var dayKey = { year: "numeric", month: "2-digit", day: "2-digit" };
  var localClock = formatter(zone, clock);
  var osloClock = formatter("Europe/Oslo", clock);
  var localDay = formatter(zone, day);
  var localKey = formatter(zone, dayKey);
  var osloKey = formatter("Europe/Oslo", dayKey);

  function clockText(fmt, date) {
    // Norwegian writes 09.00 (Språkrådet); Intl gives 09:00.
    var text = fmt.format(date);
    return norwegian ? text.replace(":", ".") : text;
  }

  // The reader's time for one instant; the day too when it is not Oslo's day.
  function localText(date, withDay) {
    var time = clockText(localClock, date);
    if (!withDay && localKey.format(date) === osloKey.format(date)) return time;
    return joiner.replace("{date}", localDay.format(date)).replace("{time}", time);
  }

  function same(date) {
    return clockText(localClock, date) === clockText(osloClock, date) &&
      localKey.format(date) === osloKey.format(date);
  }

  var SELECTOR = 'time[datetime*="T"]:not([data-clock])';
  var containers = [];
  document.querySelectorAll(SELECTOR).forEach(function (el) {
    var box = el.closest("p, dd, li, td, h1, h2, h3, div") || el.parentNode;
    if (containers.indexOf(box) === -1) containers.push(box);
  });

  containers.forEach(function (box) {
    var parts = [];
    var differs = false;
    box.querySelectorAll(SELECTOR).forEach(function (el) {
      var start = new Date(el.getAttribute("datetime"));
      if (isNaN(start)) return;
      var endAttr = el.getAttribute("data-end");
      var end = endAttr ? new Date(endAttr) : null;
      // Only what is still ahead: a conference, a meeting, a deadline; not publication stamps.
      if ((end || start).getTime() < Date.now()) return;
      if (!same(start) || (end && !same(end))) differs = true;
      var text = localText(start, false);
      if (end && !isNaN(end)) {
        var sameDay = localKey.format(start) === localKey.format(end);
        text += sameDay ? "\u2013" + clockText(localClock, end) : " \u2013 " + localText(end, true);
      }
      parts.push(text);
    });
    if (!parts.length || !differs) return;
    var line = document.createElement("span");
    line.className = "local-time d-block small text-body-secondary";
    line.textContent = label.replace("{time}", parts.join(" \u2013 ")).replace("{zone}", place);
    box.appendChild(line);
  });
})();
