"""Django admin sentences the project translates itself, marked here so that ``makemessages``
keeps them in the project's catalogues (they are not in the project's own sources otherwise).

- Gaps in Django's Bokmål and Nynorsk catalogues (screen-reader headings, "Please correct the
  error below.", "Start typing to filter…", "Show counts", …): without them staff hear English.
- Sentences that begin with a model's name, which Norwegian writes in lower case inside a
  sentence: reworded to begin with the verb ("La til konferanse «…»").
- "Add …" in the grammatical gender of each neuter model (``model_phrase``): "Legg til nytt
  opptak", where Django's one translation says "ny".

Nothing here is called at run time; Django's own code and templates ask for these messages.
"""

from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy

DJANGO_GAPS = (
    gettext_noop("Select this object for an action - {}"),
    gettext_noop("Breadcrumbs"),
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),  # noqa: RUF001 (Django's msgid)
    gettext_noop("Error:"),
    gettext_noop("Set password"),
    gettext_noop(
        "This action will <strong>enable</strong> password-based authentication for this user."
    ),
    gettext_noop("Disable password-based authentication"),
    gettext_noop("Enable password-based authentication"),
    gettext_noop("Skip to main content"),
    gettext_noop("Hide counts"),
    gettext_noop("Show counts"),
    gettext_noop("Toggle theme (current theme: auto)"),
    gettext_noop("Toggle theme (current theme: light)"),
    gettext_noop("Toggle theme (current theme: dark)"),
    gettext_noop("Added:"),
    gettext_noop("Changed:"),
    gettext_noop("Deleted:"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("Sidebar"),
    gettext_noop("Start typing to filter…"),
    gettext_noop("Filter navigation items"),
    gettext_noop("View selected %(model)s"),
    gettext_noop("Thanks for spending some quality time with the web site today."),
    gettext_noop("In case you’ve forgotten, you are:"),  # noqa: RUF001 (Django's msgid)
    gettext_noop("Select all objects on this page for an action"),
    gettext_noop("Delete?"),
    ngettext_lazy("entry", "entries", 1),
    ngettext_lazy("Please correct the error below.", "Please correct the errors below.", 1),
)

MODEL_FIRST_SENTENCES = (
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop("You may edit it again below."),
    gettext_noop("The {name} “{obj}” was added successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may edit it again below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may add another {name} below."),
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
    gettext_noop("%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?"),  # noqa: RUF001 (Django's msgid)
    gettext_noop("Add"),  # Nynorsk: "Legg til" like the titles, not Django's "Opprett"
    gettext_noop("Add %s"),
    gettext_noop("Add %(name)s"),
    gettext_noop("Add another %(verbose_name)s"),
    gettext_noop("Add another %(model)s"),
)

# Models whose Norwegian name is neuter (nb and nn alike): "nytt", not "ny".
NEUTER_MODELS = (
    "conferences.agendaitem",
    "conferences.noticereference",
    "conferences.recording",
    "conferences.caption",
    "conferences.chapter",
    "meetings.meetingsettings",
    "meetings.meetingwindow",
    "meetings.team",
    "meetings.meeting",
    "meetings.minutes",
    "qa.question",
    "qa.answer",
    "qa.attendance",
)

# makemessages reads literal contexts only, hence one line per model and sentence.
GENDERED = (
    pgettext_lazy("conferences.agendaitem", "Add %s"),
    pgettext_lazy("conferences.agendaitem", "Add another %(verbose_name)s"),
    pgettext_lazy("conferences.noticereference", "Add %s"),
    pgettext_lazy("conferences.noticereference", "Add another %(verbose_name)s"),
    pgettext_lazy("conferences.recording", "Add %s"),
    pgettext_lazy("conferences.recording", "Add another %(verbose_name)s"),
    pgettext_lazy("conferences.caption", "Add %s"),
    pgettext_lazy("conferences.caption", "Add another %(verbose_name)s"),
    pgettext_lazy("conferences.chapter", "Add %s"),
    pgettext_lazy("conferences.chapter", "Add another %(verbose_name)s"),
    pgettext_lazy("meetings.meetingsettings", "Add %s"),
    pgettext_lazy("meetings.meetingsettings", "Add another %(verbose_name)s"),
    pgettext_lazy("meetings.meetingwindow", "Add %s"),
    pgettext_lazy("meetings.meetingwindow", "Add another %(verbose_name)s"),
    pgettext_lazy("meetings.team", "Add %s"),
    pgettext_lazy("meetings.team", "Add another %(verbose_name)s"),
    pgettext_lazy("meetings.meeting", "Add %s"),
    pgettext_lazy("meetings.meeting", "Add another %(verbose_name)s"),
    pgettext_lazy("meetings.minutes", "Add %s"),
    pgettext_lazy("meetings.minutes", "Add another %(verbose_name)s"),
    pgettext_lazy("qa.question", "Add %s"),
    pgettext_lazy("qa.question", "Add another %(verbose_name)s"),
    pgettext_lazy("qa.answer", "Add %s"),
    pgettext_lazy("qa.answer", "Add another %(verbose_name)s"),
    pgettext_lazy("qa.attendance", "Add %s"),
    pgettext_lazy("qa.attendance", "Add another %(verbose_name)s"),
)
