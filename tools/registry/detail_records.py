"""Wireless detail records: per-session usage with network, bytes and cost, searched or exported as reports."""

from functools import partial

from . import shapes
from .model import Compensation, irreversible, Operation, array, body, enum, integer, pages, path_id, query, string, uuid

op = partial(Operation, toolset="detail_records")

REPORT_ID = path_id("report_id")
TIME = string(max_length=32, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")
TIME_NOTE = "ISO 8601, e.g. \"2026-11-01T00:00:00Z\"."
MCC = string(max_length=3, pattern="^[0-9]{3}$")
MNC = string(max_length=3, pattern="^[0-9]{2,3}$")
SORT = array(string(max_length=64, pattern="^-?[a-z_]+$"), max_items=5)
INT32 = 2**31 - 1  # the record searches type their page numbers as int32


def record_pages(largest: int) -> tuple:
    return query("page[number]", integer(1, INT32)), query("page[size]", integer(1, largest))

OPERATIONS = [
    op(
        name="list_wireless_detail_records", title="Search wireless detail records", method="GET",
        path="/reports/wdrs",
        description="Data sessions by SIM, group or network (MCC/MNC) in a time window, with bytes, rate and "
                    "cost: who roamed where and used how much.",
        search_words=(
            "wdr", "cdr", "usage per session", "roaming", "roamed", "which country", "data consumed",
            "how much did it cost", "spend", "bill breakdown", "usage report",
            "networks used", "bytes per network", "data charges per sim", "sessions",
        ),
        kind="read", reason="Reads only.",
        params=(
            query("start_date", TIME, TIME_NOTE),
            query("end_date", TIME),
            query("sim_card_id", uuid()),
            query("sim_group_id", uuid()),
            query("sim_group_name", string(max_length=128)),
            query("mcc", MCC, "Network country code, e.g. \"262\" (Germany)."),
            query("mnc", MNC),
            query("imsi", string(max_length=15, pattern="^[0-9]{6,15}$")),
            query("phone_number", string(max_length=16, pattern=r"^\+?[0-9]{6,15}$")),
            query("id", uuid()),
            query("sort", SORT, "e.g. [\"-created_at\"]"),
            *record_pages(250),
        ),
        returns=shapes.WIRELESS_DETAIL_RECORD, returns_list=True, paginated=True,
    ),
    op(
        name="list_sim_card_usage_records", title="Search SIM card usage records", method="GET",
        path="/detail_records",
        description="SIM data usage records by SIM, group, network or date range, with bytes and data cost.",
        search_words=(
            "cdr", "wdr", "usage history", "data consumption", "data cost", "billing records", "last month usage",
        ),
        kind="read", reason="Reads only.",
        fixed_query=(("filter[record_type]", "wireless"),),
        wire_note="/detail_records searches every Telnyx product and requires filter[record_type]: the entry "
                  "always sends `wireless` (SIM usage records) and offers the attribute filters those records "
                  "have; the API description allows any attribute as a filter.",
        params=(
            query("filter[date_range]", enum("yesterday", "today", "last_week", "this_week", "last_month",
                                             "this_month", "tomorrow", "next_week", "next_month")),
            query("filter[created_at][gte]", TIME, "From; " + TIME_NOTE),
            query("filter[created_at][lte]", TIME, "Until."),
            query("filter[sim_card_id]", uuid()),
            query("filter[sim_group_id]", uuid()),
            query("filter[mcc]", MCC),
            query("filter[mnc]", MNC),
            query("sort", SORT, "e.g. [\"-created_at\"]"),
            *record_pages(50),
        ),
        returns=shapes.SIM_CARD_USAGE_RECORD, returns_list=True, paginated=True,
    ),
    op(
        name="list_wdr_reports", title="List wireless detail record reports", method="GET",
        path="/wireless/detail_records_reports",
        description="Wireless detail record (WDR) report exports: time window, status, download URL.",
        search_words=(
            "wdr", "cdr export", "usage exports", "csv reports", "download usage",
        ),
        kind="read", reason="Reads only.",
        params=pages(),
        returns=shapes.WDR_REPORT, returns_list=True,
    ),
    op(
        name="create_wdr_report", title="Create a wireless detail record report", method="POST",
        compensation=Compensation(deletes="delete_wdr_report"),
        path="/wireless/detail_records_reports",
        description="Export a time window's detail records as a file (async: poll get_wdr_report until "
                    "complete, then download report_url).",
        search_words=(
            "wdr", "export usage", "csv", "download usage file", "billing export", "generate report",
            "csv of data sessions", "export sessions", "file of usage",
        ),
        kind="write", reason="Starts an export job; Telnyx documents no charge and nothing on the fleet changes.",
        wire_note="The docs' API reference shows /wireless/detail/records/reports; the API description at every "
                  "version and both SDKs use /wireless/detail_records_reports, which the entry follows.",
        params=(body("start_time", TIME, TIME_NOTE), body("end_time", TIME)),
        returns=shapes.WDR_REPORT,
    ),
    op(
        name="get_wdr_report", title="Get a wireless detail record report", method="GET",
        path="/wireless/detail_records_reports/{report_id}",
        description="One report: pending, complete (with report_url) or failed.",
        search_words=(
            "wdr", "report ready", "download link", "report url", "export status",
        ),
        kind="read", reason="Reads only.", params=(REPORT_ID,), returns=shapes.WDR_REPORT,
    ),
    op(
        name="delete_wdr_report", title="Delete a wireless detail record report", method="DELETE",
        compensation=irreversible("A deleted report cannot be restored; request it again."),
        path="/wireless/detail_records_reports/{report_id}",
        description="Delete a report and its download.",
        search_words=(
            "wdr", "remove export", "clean up reports",
        ),
        kind="destructive", reason="Deletes the report file for good (it can be generated again).",
        params=(REPORT_ID,), returns=shapes.WDR_REPORT,
    ),
]
