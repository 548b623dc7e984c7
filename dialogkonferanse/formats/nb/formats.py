"""Norwegian clock times with a full stop and "kl." (Språkrådet: kl. 09.00)."""

from django.conf.locale.nb.formats import *  # noqa: F403

TIME_FORMAT = "H.i"  # 09.00
DATETIME_FORMAT = "j. F Y \\k\\l. H.i"  # 19. desember 2026 kl. 09.00
SHORT_DATETIME_FORMAT = "d.m.Y \\k\\l. H.i"  # 19.12.2026 kl. 09.00 (the admin's columns)
# Time inputs (the admin's time fields and its clock) show 09.00, no seconds; typing 09:00 or
# 09:00:00 is still understood.
TIME_INPUT_FORMATS = ["%H.%M", "%H:%M", "%H:%M:%S", "%H.%M.%S", "%H:%M:%S.%f"]
