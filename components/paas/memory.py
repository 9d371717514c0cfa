"""The Cloud Foundry Java buildpack's JVM memory budget, computed before anything is deployed.

Cloud Foundry's Java buildpack runs its memory calculator (java-buildpack-memory-calculator,
v3.6-v3.9, the one that printed the lab's message) in the container before the JVM starts. It
fixes every non-heap area and gives the heap what is left of the container's memory limit::

    heap = limit - (ReservedCodeCacheSize 240M + MaxDirectMemorySize 10M
                    + MaxMetaspaceSize + CompressedClassSpaceSize + Xss 1M x threads)
    MaxMetaspaceSize         = 5800 B x loaded classes + 14,000,000 B
    CompressedClassSpaceSize =  700 B x loaded classes +  8,000,000 B

and refuses to start the app when the heap would be negative. The loaded-class count is the
buildpack's estimate, ``ceil(0.35 x class files in the droplet)`` (the JRE, Tomcat and the
app); the lab's droplet gave 10,992 (``MaxMetaspaceSize=75931K``), and Tomcat's 300 threads.
Sizes are printed as the calculator prints them: whole gigabytes ``G``, whole megabytes ``M``,
else kilobytes ``K`` (truncated).

Pure functions: the settings model runs :func:`calculate` at validation, so a 256M manifest is
refused before any resource is registered, and the stand-in's containers run the JVM with the
very flags :func:`jvm_options` gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

RESERVED_CODE_CACHE = 240 * MIB
"""``-XX:ReservedCodeCacheSize`` of Java 8 and later."""
MAX_DIRECT_MEMORY = 10 * MIB
"""``-XX:MaxDirectMemorySize`` (no heuristic: a fixed 10M)."""
STACK_SIZE = 1 * MIB
"""``-Xss`` per thread."""
METASPACE_PER_CLASS, METASPACE_BASE = 5800, 14_000_000
COMPRESSED_PER_CLASS, COMPRESSED_BASE = 700, 8_000_000
CLASS_FILE_FRACTION = 0.35
"""The buildpack's estimate of loaded classes: this fraction of the droplet's class files."""

LAB_LOADED_CLASSES = 10_992
"""The lab's droplet (JRE, Tomcat, the servlet): ``MaxMetaspaceSize=75931K`` in its message."""
TOMCAT_THREADS = 300
"""The Tomcat container's thread estimate (``-Xss1M * 300 threads`` in the lab's message)."""


def size_text(size: int) -> str:
    """A size as the calculator prints it: ``240M``, ``1G``, ``75931K`` (whole K, truncated)."""
    kilos = size // KIB
    if kilos == 0:
        return "0"
    if kilos % MIB == 0:
        return f"{kilos // MIB}G"
    if kilos % KIB == 0:
        return f"{kilos // KIB}M"
    return f"{kilos}K"


def estimated_loaded_classes(class_files: int) -> int:
    """The buildpack's loaded-class estimate for a droplet of ``class_files`` class files."""
    return math.ceil(CLASS_FILE_FRACTION * class_files)


@dataclass(frozen=True)
class MemoryBudget:
    """One calculation: every area in bytes, and the heap that is left (negative: refused)."""

    limit: int
    loaded_classes: int
    threads: int

    @property
    def metaspace(self) -> int:
        return METASPACE_PER_CLASS * self.loaded_classes + METASPACE_BASE

    @property
    def compressed_class_space(self) -> int:
        return COMPRESSED_PER_CLASS * self.loaded_classes + COMPRESSED_BASE

    @property
    def stacks(self) -> int:
        return STACK_SIZE * self.threads

    @property
    def allocated(self) -> int:
        """Everything but the heap."""
        return (
            RESERVED_CODE_CACHE
            + MAX_DIRECT_MEMORY
            + self.metaspace
            + self.compressed_class_space
            + self.stacks
        )

    @property
    def heap(self) -> int:
        return self.limit - self.allocated

    @property
    def fits(self) -> bool:
        return self.heap >= 0

    @property
    def smallest_limit(self) -> int:
        """The smallest limit in whole megabytes (as a manifest writes it) that fits."""
        return math.ceil(self.allocated / MIB) * MIB

    def terms(self) -> str:
        """The non-heap flags, in the order and words of the calculator's message."""
        return (
            f"-XX:ReservedCodeCacheSize={size_text(RESERVED_CODE_CACHE)}, "
            f"-XX:MaxDirectMemorySize={size_text(MAX_DIRECT_MEMORY)}, "
            f"-XX:MaxMetaspaceSize={size_text(self.metaspace)}, "
            f"-XX:CompressedClassSpaceSize={size_text(self.compressed_class_space)}, "
            f"-Xss{size_text(STACK_SIZE)} * {self.threads} threads"
        )

    def refusal(self) -> str:
        """The buildpack's message when the heap does not fit."""
        return (
            "Cannot calculate JVM memory configuration: There is insufficient memory remaining "
            f"for heap. Memory limit {size_text(self.limit)} is less than allocated memory "
            f"{size_text(self.allocated)} ({self.terms()})"
        )

    def jvm_options(self) -> list[str]:
        """The JVM flags the buildpack starts the app with (only when it fits)."""
        if not self.fits:
            raise ValueError(self.refusal())
        return [
            f"-Xmx{size_text(self.heap)}",
            f"-Xss{size_text(STACK_SIZE)}",
            f"-XX:ReservedCodeCacheSize={size_text(RESERVED_CODE_CACHE)}",
            f"-XX:MaxDirectMemorySize={size_text(MAX_DIRECT_MEMORY)}",
            f"-XX:MaxMetaspaceSize={size_text(self.metaspace)}",
            f"-XX:CompressedClassSpaceSize={size_text(self.compressed_class_space)}",
        ]


def calculate(limit: int, loaded_classes: int, threads: int) -> MemoryBudget:
    """The budget of a container of ``limit`` bytes; check :attr:`MemoryBudget.fits`."""
    if limit <= 0 or loaded_classes < 0 or threads < 0:
        raise ValueError("limit must be positive, classes and threads not negative")
    return MemoryBudget(limit, loaded_classes, threads)
