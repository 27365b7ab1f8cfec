"""The dashboard's words in English and Chinese: ``TEXT[lang][key]``, workflow actions ``ACTIONS[lang][action]``;
the Chinese is authored in Traditional characters, shown through :func:`patrol.i18n.catalogue` (``dashtext.words``).

Ticket states and priorities come translated from their enums (``TicketState.zh``, ``Severity.zh``).
"""

from __future__ import annotations

__all__ = ["ACTIONS", "TEXT"]

# fmt: off
_EN = {
    "title": "patrol", "fleet": "Fleet", "tickets": "Tickets", "login": "Log in", "logout": "Log out",
    "token": "API token", "bad_token": "Unknown or revoked token.", "forbidden": "Your role may not do this.",
    "coverage": "Coverage", "inspected": "inspected", "hosts": "Hosts", "host": "Host", "status": "Status",
    "platform": "Platform", "findings": "Findings", "runs": "Run history", "run": "Run", "started": "Started (UTC)",
    "report": "Report", "trend": "Findings per run", "no_runs": "No run yet.", "id": "#", "priority": "Priority",
    "state": "State", "title_col": "Title", "sla": "SLA time left", "breached": "breached", "actions": "Actions",
    "note": "note", "no_tickets": "No open ticket.", "snapshot": "Latest snapshot", "baselines": "Baselines",
    "never_seen": "No run has seen this host.", "facts": "Facts", "severity": "Severity", "check": "Check",
    "message": "Detail", "version": "Version", "approved_by": "Approved by", "reason": "Reason", "lang": "中文",
    "signed_in": "signed in as",
    "drift": "Drift against baseline", "baseline_side": "Baseline", "latest_side": "Latest",
    "no_baseline": "No baseline approved for this host yet.", "no_drift": "No drift: the latest snapshot matches.",
    "state_changes": "State changes", "capacity": "Capacity", "no_data": "no data",
    "compliance_chart": "Compliance over time", "opened_resolved": "Tickets opened vs resolved",
    "monthly": "Monthly service report", "period": "Month", "object": "Object", "kind": "Change",
    "before": "Before", "after": "After", "lang_hans": "简体中文", "lang_hant": "繁體中文",
}
_ZH = {
    "title": "patrol 巡檢", "fleet": "設備總覽", "tickets": "工單", "login": "登錄", "logout": "退出",
    "token": "API 令牌", "bad_token": "令牌無效或已吊銷。", "forbidden": "您的角色無權執行此操作。",
    "coverage": "覆蓋率", "inspected": "已巡檢", "hosts": "設備", "host": "設備", "status": "狀態",
    "platform": "平台", "findings": "問題", "runs": "巡檢歷史", "run": "巡檢", "started": "開始時間 (UTC)",
    "report": "報告", "trend": "每次巡檢的問題數", "no_runs": "尚無巡檢。", "id": "編號", "priority": "優先級",
    "state": "狀態", "title_col": "標題", "sla": "SLA 剩餘時間", "breached": "已超時", "actions": "操作",
    "note": "備註", "no_tickets": "沒有未關閉的工單。", "snapshot": "最新快照", "baselines": "基線",
    "never_seen": "尚無巡檢見過此設備。", "facts": "基本信息", "severity": "嚴重性", "check": "檢查項",
    "message": "詳情", "version": "版本", "approved_by": "批准人", "reason": "原因", "lang": "English",
    "signed_in": "當前用戶",
    "drift": "與基線的偏差", "baseline_side": "基線", "latest_side": "最新",
    "no_baseline": "此設備尚未批准基線。", "no_drift": "無偏差：最新快照與基線一致。",
    "state_changes": "狀態變化", "capacity": "容量", "no_data": "無數據",
    "compliance_chart": "合規率趨勢", "opened_resolved": "工單新開與解決",
    "monthly": "月度服務報告", "period": "月份", "object": "對象", "kind": "變化",
    "before": "之前", "after": "之後", "lang_hans": "簡體中文", "lang_hant": "繁體中文",
}
# fmt: on

_ACTIONS_ZH = {"analyse": "分析", "confirm": "確認", "escalate": "上報", "reply": "回復", "resolve": "解決",
               "close": "關閉"}  # fmt: skip
ACTIONS: dict[str, dict[str, str]] = {"en": {k: k for k in _ACTIONS_ZH}, "zh": _ACTIONS_ZH}

TEXT: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}
