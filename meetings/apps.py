from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("One-to-one meetings")

    def ready(self) -> None:
        from conferences.signals import conference_status_changed
        from registrations.signals import registration_cancelled

        from . import receivers, tasks  # noqa: F401 (tasks: registered for enqueue_on_commit)

        conference_status_changed.connect(
            receivers.settle_meetings_on_status_change,
            sender=None,
            dispatch_uid="meetings.settle_meetings_on_status_change",
        )
        registration_cancelled.connect(
            receivers.release_meeting_on_cancellation,
            sender=None,
            dispatch_uid="meetings.release_meeting_on_cancellation",
        )

        from dialogkonferanse.personal_data import register_personal_data_handlers

        from . import personal_data

        register_personal_data_handlers.connect(
            personal_data.register_handlers, dispatch_uid="meetings.personal_data"
        )
