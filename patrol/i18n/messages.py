"""Generated English sentences (finding messages, reasons a host was not inspected) in Chinese.

Checks, drift and collectors write their messages in English into the store (they are data: the
JSON report and the tickets keep them). A Chinese report renders them through the sentence
patterns below; the figures (field names, values, addresses, lines of config) stay as they are::

    >>> finding_message("security.telnet_enabled is True, expected False", "zh-Hant")
    'security.telnet_enabled 為 是，預期為 否'
    >>> reason_text("connection refused by 127.0.0.1:6099 — is the device up and SSH enabled on that port?",
    ...             "zh-Hans")
    '127.0.0.1:6099 拒绝连接 — 设备是否已开机，该端口是否已启用 SSH？'

A sentence no pattern knows (a library's own error text) is shown as it is. The patterns live in
``sentences.yml`` beside this module, written in Traditional characters and converted by
:func:`patrol.i18n.zh_text` like every other text.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import yaml

from patrol.i18n import is_zh, zh_text

__all__ = ["EVENT_ZH", "RESOURCE_ZH", "STATUS_ZH", "event_note", "finding_message", "reason_text", "time_left_zh"]

_Rule = tuple[re.Pattern[str], str]
_SENTENCES = Path(__file__).with_name("sentences.yml")

_WORDS = {"True": "是", "False": "否", "None": "無"}
_OPS = {"equals": "等於", "superset": "包含", "subset": "僅限於", "in": "屬於", "not_in": "不屬於"}
_DRIFT_KINDS = {"added": "新增", "removed": "刪除", "changed": "變更", "missing": "缺少", "extra": "多出"}
#: Run, host and change statuses in authored Chinese (the report's labels use them too).
STATUS_ZH = {
    "running": "進行中", "completed": "已完成", "aborted": "已中止", "failed": "失敗", "ok": "正常",
    "unreachable": "無法連線", "auth_failed": "認證失敗", "timeout": "逾時", "parse_error": "解析錯誤",
    "error": "錯誤", "host_key_changed": "主機金鑰已變更", "skipped": "已略過", "pending": "待執行",
    "applied": "已套用", "verified": "已驗證", "rolled_back": "已回退", "approved": "已批准",
    "host_key_unknown": "主機金鑰未登記", "applying": "套用中", "interrupted": "已中斷", "previewed": "已預覽",
    "rollback_failed": "回退失敗",
}

#: Resource kinds (``Resource.kind``) in authored Chinese (the report's labels use them too).
RESOURCE_ZH = {
    "volume": "卷", "filesystem": "文件系統", "flash": "閃存", "lun": "LUN", "pool": "存儲池", "memory": "記憶體",
    "swap": "交換空間", "interface": "介面", "bandwidth": "頻寬", "load": "負載", "cpu": "CPU",
}
#: A ticket's timeline entries (``Event.action``) in authored Chinese.
EVENT_ZH = {
    "opened": "開立", "state": "狀態變更", "assigned": "指派", "comment": "備註", "record": "填寫故障記錄",
    "reopened": "重新開啟", "resolved": "已解決", "waived": "豁免", "waiver_removed": "撤銷豁免",
    "waiver_expired": "豁免到期", "sla_breached": "SLA 已超時", "sla_warning": "SLA 即將超時",
}
#: Ticket channels, SLA clocks, waiver scopes and record fields named in timeline notes.
_CHANNELS = {"hotline": "熱線電話", "online": "在線支持", "remote": "遠程服務", "email": "郵件", "onsite": "現場服務",
             "phone": "電話訪問", "training": "培訓"}  # fmt: skip
_CLOCKS = {"respond": "響應", "resolve": "解決"}
_RECORD = {"occurred_at": "發生時間", "location": "地點", "reporter": "報告人", "description": "描述", "cause": "原因",
           "prevention": "預防措施", "fix": "解決方法"}  # fmt: skip
_UNITS = {"d": "天", "h": "小時", "min": "分鐘", "s": "秒"}
#: The snapshot's object lists a check selects from (``objects:``) and the fields of a ``where:``.
_OBJECTS = {"resources": "資源", "interfaces": "介面", "certificates": "憑證", "kind": "類型", "name": "名稱"}


@lru_cache(maxsize=1)
def _rules() -> dict[str, list[_Rule]]:
    """``sentences.yml`` compiled: ``{"messages": [...], "reasons": [...]}``."""
    data = yaml.safe_load(_SENTENCES.read_text(encoding="utf-8"))
    return {part: [(re.compile(f"^(?:{r['en']})$", re.S), str(r["zh"])) for r in rules]
            for part, rules in data.items()}


def _value(text: str) -> str:
    """A Python-literal figure with its booleans in Chinese (``True`` → 是)."""
    return re.sub(r"\b(True|False|None)\b", lambda m: _WORDS[m.group(1)], text)


def _where(text: str) -> str:
    """A check's ``where`` filter (``{'kind': ['filesystem', 'volume']}``) with field names and kinds in Chinese."""
    try:
        where = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return "任何條件" if text == "any" else text
    if not isinstance(where, dict):
        return text

    def named(value: object) -> str:
        values = value if isinstance(value, list) else [value]
        return "、".join(RESOURCE_ZH.get(str(v), str(v)) for v in values)

    return "，".join(f"{_OBJECTS.get(str(k), str(k))}為{named(v)}" for k, v in where.items())


def time_left_zh(text: str) -> str:
    """``2 h 5 min left`` / ``overdue 3 min`` (:func:`patrol.tickets.sla.time_left`) in authored Chinese."""
    span = re.sub(r"(\d+) (d|h|min|s)\b", lambda m: f"{m.group(1)} {_UNITS[m.group(2)]}", text)
    if span.endswith(" left"):
        return f"剩餘 {span.removesuffix(' left')}"
    return f"超時 {span.removeprefix('overdue ')}" if span.startswith("overdue ") else span


def _when(text: str) -> str:
    percent = re.fullmatch(r"past (\d+)% of its time", text)
    return f"已過時限的 {percent.group(1)}%" if percent else "已超時"


def _scope(text: str) -> str:
    kind, _, name = text.partition(" ")
    return "所有設備" if text == "all hosts" else f"{'設備' if kind == 'host' else '組'} {name}"


def _record(text: str) -> str:
    parts = (p.partition(": ") for p in text.split("; "))
    return "；".join(f"{_RECORD.get(k, k)}：{v}" for k, _, v in parts)


def _detail(text: str) -> str:
    """``missing [..]; extra [..]`` of a set comparison."""
    named = (re.sub(r"^(missing|extra) ", lambda m: _DRIFT_KINDS[m.group(1)] + " ", p) for p in text.split("; "))
    return "：" + "；".join(named)


#: How a named figure is shown (default: as it is, Python literals translated).
_FIGURES: dict[str, Callable[[str], str]] = {
    "setop": lambda v: _OPS.get(v, v),
    "objects": lambda v: _OBJECTS.get(v, v),
    "where": _where,
    "kind": lambda v: _DRIFT_KINDS.get(v, v),
    "detail": _detail,
    "parent": lambda v: f"（位於 {v} 之下）",
    "size": lambda v: f"（共 {v} 行的區塊）",
    "line": lambda v: f"［第 {v} 行］",
    "reason": lambda v: _sentence(v, "reasons"),
    "error": lambda v: _sentence(v, "reasons"),
    "status": lambda v: STATUS_ZH.get(v, v),
    "finding": lambda v: _sentence(v, "messages"),
    "channel": lambda v: _CHANNELS.get(v, v),
    "clock": lambda v: _CLOCKS.get(v, v),
    "when": _when,
    "left": time_left_zh,
    "scope": _scope,
    "record": _record,
    "reporter": str, "location": str, "answer": str, "person": str, "approver": str, "actor": str,
    "until": str, "deadline": str, "run": str, "host": str, "check": str, "id": str, "n": str,
}


def _sentence(text: str, part: str) -> str:
    """``text`` through the first matching rule of ``part``, in authored Chinese; unknown text as is."""
    if " — " in text:
        return " — ".join(_sentence(piece, part) for piece in text.split(" — "))
    for pattern, zh in _rules()[part]:
        match = pattern.match(text)
        if match:
            figures = {k: _FIGURES.get(k, _value)(v) if v else "" for k, v in match.groupdict().items()}
            return zh.format(**figures)
    return STATUS_ZH.get(text, text)


def finding_message(message: str, lang: str) -> str:
    """A finding's (English) message in ``lang``."""
    return zh_text(_sentence(message, "messages"), lang) if is_zh(lang) and message else message


def reason_text(reason: str | None, lang: str) -> str:
    """Why a host was not inspected (an error text, or ``status: error``) in ``lang``; None is ``""``."""
    if not reason:
        return ""
    return zh_text(_sentence(reason, "reasons"), lang) if is_zh(lang) else reason


def event_note(note: str, lang: str) -> str:
    """A ticket timeline note (written in English by the ticket desk, sync, SLA and waivers) in ``lang``;
    a person's own words (a comment, a move's note) are shown as written."""
    return zh_text(_sentence(note, "events"), lang) if is_zh(lang) and note else note
