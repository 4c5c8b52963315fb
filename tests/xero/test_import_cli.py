"""`ledgerbridge xero ...`: connections and imports from the command line (in-process here; the
kill-and-resume proof runs the real command, in test_import_resume.py)."""

from __future__ import annotations

import pytest

from ledgerbridge.catalog.models import Product
from ledgerbridge.cli import main
from ledgerbridge.customers.models import Customer
from ledgerbridge.xero.models import ImportRun, ImportStatus

from .helpers import admin_call, connect
from .links import in_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def nz(xero_settings, sandbox):
    return connect(sandbox, "NZ books", "Demo Company (NZ)")


def ledgerbridge(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_connections_are_listed_with_their_state(nz, capsys):
    code, out, _ = ledgerbridge(capsys, "xero", "connections")
    assert code == 0
    assert "NZ books" in out and "Demo Company (NZ)" in out and "Connected" in out


def test_import_runs_in_the_foreground_and_prints_the_outcome(nz, capsys):
    code, out, err = ledgerbridge(capsys, "xero", "import", "customers", "--connection", "nz BOOKS")
    saved = in_tenant(Customer, nz.tenant_id).count()
    assert code == 0, err
    assert f"done: {saved} created, 0 updated, 0 skipped" in out and saved > 0
    assert "Importing customers" in err  # the progress bar (on stderr)
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.DONE and run.processed == saved

    # The rerun is a new run (the first finished) and creates nothing.
    code, out, _ = ledgerbridge(capsys, "xero", "import", "customers", "--connection", "NZ books")
    assert code == 0 and "done: 0 created" in out and ImportRun.objects.count() == 2
    code, out, _ = ledgerbridge(
        capsys, "xero", "import", "customers", "--connection", "NZ books", "--full"
    )
    assert code == 0 and f"0 created, {saved} updated" in out


def test_products_need_a_group_and_problems_are_listed(nz, capsys, product_group, customer, gst):
    code, _, err = ledgerbridge(capsys, "xero", "import", "products", "--connection", "NZ books")
    assert code == 1 and "--group" in err and "Hardware" in err
    code, _, err = ledgerbridge(
        capsys, "xero", "import", "products", "--connection", "NZ books", "--group", "Nope"
    )
    assert code == 1 and "--group" in err and "'Nope'" in err
    code, out, err = ledgerbridge(
        capsys, "xero", "import", "products", "--connection", "NZ books", "--group", "hardware"
    )
    assert code == 0, err
    assert in_tenant(Product, nz.tenant_id).filter(group=product_group).exists()
    gst.percentage = 12  # no Xero rate of 12 %: kept unlinked, as it is in use
    gst.save()
    code, out, _ = ledgerbridge(capsys, "xero", "import", "tax-rates", "--connection", "NZ books")
    assert code == 0 and "problem(s):" in out
    assert any(line.startswith("  - GST: ") and "Acme Dental" in line for line in out.splitlines())


def test_bad_options_are_named(nz, capsys):
    code, _, err = ledgerbridge(capsys, "xero", "import", "customers", "--connection", "Books")
    assert code == 1 and "--connection" in err and "'NZ books'" in err
    code, _, err = ledgerbridge(
        capsys, "xero", "import", "customers", "--connection", "NZ books", "--group", "Hardware"
    )
    assert code == 1 and "--group" in err
    with pytest.raises(SystemExit) as exited:
        main(["xero", "import", "invoices", "--connection", "NZ books"])
    assert exited.value.code == 2 and "invalid choice: 'invoices'" in capsys.readouterr().err
    nz.saved = False
    nz.save()
    code, _, err = ledgerbridge(capsys, "xero", "import", "customers", "--connection", "NZ books")
    assert code == 1 and "not saved" in err
    assert not ImportRun.objects.exists()


def test_background_queues_the_run_for_the_worker(nz, capsys):
    code, out, _ = ledgerbridge(
        capsys, "xero", "import", "tracking", "--connection", "NZ books", "--background"
    )
    run = ImportRun.objects.get()
    assert code == 0 and f"Import {run.pk}" in out and "worker" in out
    assert run.status == ImportStatus.QUEUED


def test_a_day_limit_leaves_the_run_waiting_and_says_when_the_worker_resumes_it(
    nz, capsys, sandbox
):
    admin_call(sandbox, "POST", "settings", day_limit=0)
    code, _, err = ledgerbridge(capsys, "xero", "import", "customers", "--connection", "NZ books")
    run = ImportRun.objects.get()
    assert code == 1 and run.status == ImportStatus.WAITING and run.resume_after
    assert f"Import {run.pk} is waiting" in err
    assert f"resumes it at {run.resume_after:%Y-%m-%d %H:%M} UTC" in err
    assert "ledgerbridge worker" in err
