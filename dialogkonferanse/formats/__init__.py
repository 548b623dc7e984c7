"""Date and time formats per language (``FORMAT_MODULE_PATH``): British English instead of
Django's US ``en``, and Norwegian clock times with a full stop (``09.00``, Språkrådet).
Weekday texts for suppliers come from ``dialogkonferanse.common.timefmt``; these formats serve
Django's own ``|date`` and the admin."""
