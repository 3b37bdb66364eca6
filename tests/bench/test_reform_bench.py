"""Figure 11's harness (bench/reform.py), tiny: a national dataset of a few hundred villages on each backend, the
2025 units and mapping loaded, the whole country carried over; the kept tables equal a recount afterwards.
No timing is asserted here; `make bench` measures."""

import pytest

from bench import reform
from bench.pg import pg_bindir


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_carry_over_of_a_tiny_national_dataset_moves_every_mapped_village(backend):
    if backend == "postgresql" and pg_bindir() is None:
        pytest.skip("PostgreSQL server binaries not found")
    (run,) = reform.measure(300, 3_000, backends=(backend,), check=True, say=lambda _m: None)
    assert run.backend == backend and run.villages == 300
    assert 0 < run.moved <= 300  # villages of the few communes without a successor stay
    assert run.differences == 0
    assert run.seconds > 0
