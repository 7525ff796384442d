"""Small month workbooks with known defects, shared by the ingest and check tests."""

from __future__ import annotations

from datetime import datetime

TICKET_HEADER = ["工单号", "网点", "服务类型", "受理时间", "完成时间", "是否返修", "客户评分"]


def defect_month() -> dict[str, list[list[object]]]:
    """Tickets with one defect per row below a title; complaints and attendance minimal."""
    return {
        "2026年10月工单明细": [
            ["2026年10月工单明细"],  # row 1: title
            [],  # row 2: blank
            TICKET_HEADER,  # row 3
            [
                1001,
                "A店（北区）",
                "换机",
                datetime(2026, 10, 3, 14, 22),
                "2026-10-05 10:00",
                "否",
                5,
            ],  # 4 used
            ["1002", " A店 (北区) ", "保外", "2026/10/4 9:05", None, "Y", "4"],  # 5 used
            [None] * 7,  # 6: blank, not a data row
            ["1003", "B店", "维修", "2026年10月5日", None, "否", 5],  # 7 unknown-service-type
            ["1001", "B店", "换机", "2026-10-06", None, "否", 5],  # 8 duplicate-id
            ["1004", "B店", "保修", "2026-09-30 23:00", None, "否", 5],  # 9 outside-month
            [
                "1005",
                "B店",
                "保修",
                "2026-10-07",
                "2026-10-06",
                "否",
                5,
            ],  # 10 completed-before-accepted
            ["1006", "B店", "保修", "garbage", None, "否", 5],  # 11 bad-date
            ["1007", "", "保修", "2026-10-07", None, "否", 5],  # 12 missing-value
            ["1008", "B店", "保修", "2026-10-08", None, "也许", 5],  # 13 bad-flag
            ["1009", "B店", "保修", "2026-10-08", None, "否", "五星"],  # 14 bad-number
            ["1010", "B店", "非保修", 46303.5, None, "1", 3],  # 15 used (serial 2026-10-08 12:00)
        ],
        "投诉": [
            ["投诉单号", "网点", "投诉时间", "投诉类别"],
            ["C1", "A店(北区)", "2026-10-05", "态度"],
        ],
        "出勤": [
            ["日期", "网点", "人员", "状态"],
            ["2026-10-01", "B店", "张三", "正常"],
            ["2026-10-01", "B店", "李四", "请假"],
        ],
    }
