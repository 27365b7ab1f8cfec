"""Fixed words of the CLI output that takes ``--lang`` (``patrol tickets``, ``patrol ticket show``, ``patrol propose``).

English output stays as it was (bilingual cells such as ``critical 特急`` are kept: an English
terminal still shows the contract's terms); Chinese output shows Chinese only, authored here in
Traditional characters and converted to the reader's script by :func:`patrol.i18n.catalogue`.
"""

from __future__ import annotations

from patrol.i18n import catalogue, is_zh

__all__ = ["CLI_WORDS", "cli_words", "is_zh"]

# fmt: off
_EN = {
    "tickets_title": "tickets ({state}{as_at}): {n}", "as_at": ", SLA clocks as at {at}", "location": "location",
    "id": "id", "priority": "priority", "state": "state",
    "class": "class", "host": "host", "title": "title", "seen": "seen", "sla": "SLA", "assignee": "assignee",
    "times": "{n}x", "reopened_times": " (reopened {n}x)", "waived": "waived 豁免",
    "clock": "{clock} {status} ({left})", "release": "release {release}",
    "proposals_title": "improvement proposals, ranked", "rank": "#", "proposal": "proposal", "assets": "assets",
    "timeline": "timeline",
    "no_proposal": "no proposal: nothing in the history since {since} matches a rule (or there is no data)",
    # patrol ticket show
    "t.ticket": "ticket {id}", "t.class": "class", "t.priority": "priority", "t.state": "state", "t.source": "source",
    "t.host": "host", "t.check": "check", "t.object": "object", "t.seen": "seen {n}x", "t.recurrence": "recurrence {n}",
    "t.channel": "channel", "t.reporter": "reporter", "t.location": "location", "t.finding": "finding:",
    "t.assignee": "assignee", "t.escalated_to": "escalated to", "t.release": "target release",
    "t.waived": "waived by waiver {id} ({scope}) until {until} approved by {approver}: {reason}",
    "t.sla": "SLA {clock}: {text}{deadline}", "t.deadline": " deadline {at} UTC",
    "t.fault_record": "fault record:", "t.consultation_record": "consultation record:",
    "t.missing": " · missing: {fields}",
    "t.next": "next actions: {actions}", "t.when": "when (UTC)", "t.who": "who", "t.what": "what",
    "t.moved": "from → to",
    "t.why": "why / note", "t.run": "run", "t.seen_in": "seen in {n} run(s): {runs}", "t.sep": " · ", "t.list": ", ",
    "t.timeline": "timeline",
}
_ZH = {
    "tickets_title": "工單（{state}{as_at}）：{n}", "as_at": "，SLA 計時按 {at}", "location": "地點",
    "id": "編號", "priority": "優先級", "state": "狀態",
    "class": "類別", "host": "設備", "title": "標題", "seen": "出現次數", "sla": "SLA", "assignee": "負責人",
    "times": "{n} 次", "reopened_times": "（重開 {n} 次）", "waived": "已豁免",
    "clock": "{clock}{status}（{left}）", "release": "隨版本 {release} 解決",
    "proposals_title": "改進建議（按優先順序）", "rank": "#", "proposal": "建議", "assets": "涉及資產",
    "timeline": "建議時程",
    "no_proposal": "沒有建議：自 {since} 以來的歷史中沒有符合規則的情況（或沒有數據）",
    # the ``--state`` filter of ``patrol tickets``
    "filter.open": "未關閉", "filter.breached": "已超時", "filter.waived": "已豁免", "filter.all": "全部",
    # SLA clocks and their states (patrol/tickets/sla.py)
    "clock.respond": "響應", "clock.resolve": "解決",
    "status.breached": "已超時", "status.late": "逾時完成", "status.warning": "即將超時", "status.met": "已達成",
    "status.running": "計時中", "status.release": "隨版本解決", "status.waived": "已豁免",
    # patrol ticket show
    "t.ticket": "工單 {id}", "t.class": "類別", "t.priority": "優先級", "t.state": "狀態", "t.source": "來源",
    "t.host": "設備", "t.check": "檢查項", "t.object": "對象", "t.seen": "出現 {n} 次", "t.recurrence": "重現 {n} 次",
    "t.channel": "渠道", "t.reporter": "報告人", "t.location": "地點", "t.finding": "問題：",
    "t.assignee": "負責人", "t.escalated_to": "上報至", "t.release": "目標版本",
    "t.waived": "已由豁免 {id}（{scope}）豁免至 {until}，批准人 {approver}：{reason}",
    "t.sla": "SLA {clock}：{text}{deadline}", "t.deadline": "，期限 {at} UTC",
    "t.fault_record": "故障記錄：", "t.consultation_record": "咨詢記錄：", "t.missing": " · 缺少：{fields}",
    "t.next": "可執行操作：{actions}", "t.when": "時間 (UTC)", "t.who": "操作人", "t.what": "事件",
    "t.moved": "狀態變化",
    "t.why": "原因 / 備註", "t.run": "巡檢", "t.seen_in": "出現於 {n} 次巡檢：{runs}", "t.sep": " · ", "t.list": "、",
    "t.timeline": "處理記錄",
    "source.inspection": "巡檢", "source.desk": "服務台",
    "action.analyse": "分析", "action.confirm": "確認", "action.escalate": "上報", "action.reply": "回復",
    "action.resolve": "解決", "action.close": "關閉",
    "record.occurred_at": "發生時間", "record.location": "地點", "record.reporter": "報告人",
    "record.description": "描述",
    "record.cause": "原因", "record.prevention": "預防措施", "record.fix": "解決方法", "record.time": "時間",
    "record.channel": "渠道", "record.question": "問題", "record.answer": "答覆", "record.answered_by": "答覆人",
}
# fmt: on

#: ``{"en": {...}, "zh": {...}}``: the English side has no ``filter.``/``clock.``/``status.``/``source.``/
#: ``action.``/``record.`` keys
#: (English shows the value itself).
CLI_WORDS = {"en": _EN, "zh": _ZH}


def cli_words(lang: str) -> dict[str, str]:
    """The CLI's words in ``lang`` (``en``, ``zh-Hans``, ``zh-Hant``)."""
    return catalogue(CLI_WORDS, lang)
