"""Baseline views for benchmark ratios, installed only when ``DJANGO_BENCH_PROBE=1``.

They show what the same server does with the least Django work, so a page's figure can be
stated as a ratio to them on a shared, noisy machine.
"""
