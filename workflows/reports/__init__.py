"""The bureau's usage statistics (DOMAIN §1.3): supervision-side and project-side tables."""
from .build import Report, average, build_report, percent
from .counts import district_counts
from .formats import FORMATS, Rendered, as_csv, as_json, render
from .tables import DISTRICT_HEADER, PROJECT_USAGE, SUPERVISION_USAGE, TABLES, TOTAL_LABEL, Metric, TableSpec

__all__ = [
    "DISTRICT_HEADER", "FORMATS", "PROJECT_USAGE", "SUPERVISION_USAGE", "TABLES", "TOTAL_LABEL", "Metric",
    "Rendered", "Report", "TableSpec", "as_csv", "as_json", "average", "build_report", "district_counts",
    "percent", "render",
]
