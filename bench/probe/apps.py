from django.apps import AppConfig


class ProbeConfig(AppConfig):
    name = "bench.probe"
    label = "bench_probe"
    verbose_name = "Benchmark probe"
    default_auto_field = "django.db.models.BigAutoField"
