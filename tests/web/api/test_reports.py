"""Seed 000's published tables, reproduced through the API and the CLI from an import.

The test builds import files whose records encode the published counts of attachments 1
and 2 (tests/data/usage_files.py), imports them through the API, and compares every cell of
both reports, in every format, with the transcribed tables (tests/data/seed000_tables.py).
"""
from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from storage.docx_render import docx_text
from tests.data import seed000_tables as seed
from tests.data.usage_files import published_counts, usage_files
from tests.fixtures.web import bearer

TABLES = {"supervision-usage": (seed.SUPERVISION_USAGE_HEADER, seed.SUPERVISION_USAGE),
          "project-usage": (seed.PROJECT_USAGE_HEADER, seed.PROJECT_USAGE)}


@pytest.fixture
def admin(make_user, make_token) -> str:  # type: ignore[no-untyped-def]
    make_user("root", roles=[("admin", None, None)])
    return make_token("root")


@pytest.fixture
def published(client, admin) -> str:  # type: ignore[no-untyped-def]
    projects, records = usage_files(published_counts(), seed.AS_OF)
    for kind, data in (("projects", projects), ("records", records)):
        response = client.post(f"/api/v1/import/{kind}", data={"file": (io.BytesIO(data), f"{kind}.csv")},
                               headers=bearer(admin), content_type="multipart/form-data")
        assert response.status_code == 200, response.get_json()
    return admin


@pytest.mark.parametrize("name", list(TABLES))
def test_the_published_tables_through_the_api_and_the_cli(client, published, cli, name) -> None:  # type: ignore[no-untyped-def]
    header, rows = TABLES[name]
    url = f"/api/v1/reports/{name}?as_of={seed.AS_OF}"
    body = client.get(url, headers=bearer(published)).get_json()
    assert body["as_of"] == "2022-10-16" and body["columns"] == header
    assert body["rows"] == [dict(zip(header, row)) for row in rows]

    download = client.get(url + "&format=csv", headers=bearer(published))
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"].endswith(f"{name}-2022-10-16.csv")
    assert download.data.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(download.data.decode("utf-8-sig")))) == [header, *rows]

    sheet = load_workbook(io.BytesIO(client.get(url + "&format=xlsx", headers=bearer(published)).data)).active
    values = [[str(c) if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert values[1] == header and values[2:2 + len(rows)] == rows
    assert "2022年10月16日" in values[-1][0]

    text = docx_text(client.get(url + "&format=docx", headers=bearer(published)).data)
    for row in [header, *rows]:
        assert "\t".join(row) in text

    result = cli("report", name, "--as-of", "2022-10-16")
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.stdout))) == [header, *rows]
    as_json = cli("report", name, "--as-of", "2022-10-16", "--format", "json")
    assert json.loads(as_json.stdout)["rows"] == body["rows"]


def test_report_requests(client, make_user, make_token, admin) -> None:  # type: ignore[no-untyped-def]
    make_user("acme", roles=[("enterprise", None, "91330100716105852F")])
    make_user("insp", roles=[("inspector", "海曙区", None)])
    assert client.get("/api/v1/reports/project-usage", headers=bearer(make_token("acme"))).status_code == 403
    today = client.get("/api/v1/reports/project-usage", headers=bearer(make_token("insp")))
    assert today.status_code == 200 and today.get_json()["rows"][-1]["区域"] == "合计"
    assert client.get("/api/v1/reports/usage?as_of=2022-10-16", headers=bearer(admin)).status_code == 404
    bad_date = client.get("/api/v1/reports/project-usage?as_of=2022-13-01", headers=bearer(admin))
    assert bad_date.status_code == 400 and "as_of" in bad_date.get_json()["details"]
    assert client.get("/api/v1/reports/project-usage?format=pdf", headers=bearer(admin)).status_code == 400
    assert client.get("/api/v1/reports/project-usage").status_code == 401
