"""The Java buildpack's memory calculation, against the lab's own message and its rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.paas import memory as jvm

LAB_MESSAGE = (
    "Cannot calculate JVM memory configuration: There is insufficient memory remaining for "
    "heap. Memory limit 256M is less than allocated memory 654457K (-XX:ReservedCodeCacheSize="
    "240M, -XX:MaxDirectMemorySize=10M, -XX:MaxMetaspaceSize=75931K, "
    "-XX:CompressedClassSpaceSize=15326K, -Xss1M * 300 threads)"
)


def test_the_labs_256m_gives_the_labs_message_word_for_word() -> None:
    budget = jvm.calculate(256 * jvm.MIB, jvm.LAB_LOADED_CLASSES, jvm.TOMCAT_THREADS)
    assert not budget.fits
    assert budget.refusal() == LAB_MESSAGE


def test_the_smallest_limit_that_fits_is_640m() -> None:
    budget = jvm.calculate(256 * jvm.MIB, jvm.LAB_LOADED_CLASSES, jvm.TOMCAT_THREADS)
    assert jvm.size_text(budget.smallest_limit) == "640M"
    assert jvm.calculate(640 * jvm.MIB, jvm.LAB_LOADED_CLASSES, 300).fits
    assert not jvm.calculate(639 * jvm.MIB, jvm.LAB_LOADED_CLASSES, 300).fits


def test_one_gig_gives_the_heap_what_is_left() -> None:
    budget = jvm.calculate(jvm.GIB, jvm.LAB_LOADED_CLASSES, jvm.TOMCAT_THREADS)
    assert budget.jvm_options() == [
        "-Xmx394118K",
        "-Xss1M",
        "-XX:ReservedCodeCacheSize=240M",
        "-XX:MaxDirectMemorySize=10M",
        "-XX:MaxMetaspaceSize=75931K",
        "-XX:CompressedClassSpaceSize=15326K",
    ]


def test_no_jvm_options_for_a_limit_that_does_not_fit() -> None:
    with pytest.raises(ValueError, match="insufficient memory remaining for heap"):
        jvm.calculate(256 * jvm.MIB, jvm.LAB_LOADED_CLASSES, 300).jvm_options()


def test_sizes_print_as_the_calculator_prints_them() -> None:
    assert jvm.size_text(240 * jvm.MIB) == "240M"
    assert jvm.size_text(jvm.GIB) == "1G"
    assert jvm.size_text(77_753_600) == "75931K"  # truncated, never rounded up
    assert jvm.size_text(512) == "0"


def test_the_class_estimate_is_the_buildpacks_35_percent_rounded_up() -> None:
    assert jvm.estimated_loaded_classes(31_405) == jvm.LAB_LOADED_CLASSES
    assert jvm.estimated_loaded_classes(1) == 1


@given(
    limit=st.integers(1, 8 * jvm.GIB),
    classes=st.integers(0, 100_000),
    threads=st.integers(0, 1_000),
)
def test_the_heap_is_the_limit_minus_every_other_area(
    limit: int, classes: int, threads: int
) -> None:
    b = jvm.calculate(limit, classes, threads)
    areas = (
        240 * jvm.MIB + 10 * jvm.MIB + b.metaspace + b.compressed_class_space + threads * jvm.MIB
    )
    assert b.heap == limit - areas
    assert b.fits == (limit >= b.allocated)
    assert jvm.calculate(b.smallest_limit, classes, threads).fits
    assert not jvm.calculate(b.smallest_limit - jvm.MIB, classes, threads).fits
