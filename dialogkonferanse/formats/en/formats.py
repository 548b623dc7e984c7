"""English as written in Britain and Europe: day before month, 24-hour clock."""

from django.conf.locale.en_GB.formats import *  # noqa: F403

DATE_FORMAT = "j F Y"  # 19 December 2026
TIME_FORMAT = "H:i"  # 09:00
DATETIME_FORMAT = "j F Y, H:i"  # 19 December 2026, 09:00
SHORT_DATE_FORMAT = "d/m/Y"  # 19/12/2026
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 19/12/2026 09:00
# Time inputs show 09:00, no seconds; 09:00:00 is still understood.
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%H:%M:%S.%f"]
