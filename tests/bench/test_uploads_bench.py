"""Figure 10's harness (bench/uploads.py), as CI runs it: every case in its own process, the file sizes it
reports, and the peak memory read from the child. No timing is asserted here; `make bench` measures."""

from bench import uploads


def test_every_case_runs_in_its_own_process_and_reports_its_file_and_memory():
    costs = {c.case: c for c in uploads.measure(say=lambda _message: None)}
    assert set(costs) == set(uploads.CASES)
    for name, case in uploads.CASES.items():
        assert costs[name].kilobytes * 1024 == len(case.make())  # the file measured is the file the case makes
        assert costs[name].peak_mb > 20 and costs[name].extra_mb >= 0  # a Python process with pandas and Pillow
    assert costs["bomb"].kilobytes < 50 and costs["pixels"].kilobytes < 50  # small on the wire, as in the issue
    # Storing a 12-megapixel photo decodes 4000 × 3000 × 3 bytes (34 MB) in the child: its own peak shows it.
    assert costs["camera"].extra_mb > costs["pixels"].extra_mb + 30
