"""Short synthetic transactions of an HTTP target, defined in YAML (``inspect/transactions/*.yml``).

A host lists the ones to run in ``patrol_transactions: [login]``; each names a file
``<transactions dir>/<name>.yml`` (the dir: ``patrol_transactions_dir``, else ``transactions/``
of the profiles folder)::

    transaction: login
    description: The login page answers and the API returns JSON with a status field.
    steps:
      - name: login page
        url: /login                    # relative to the host's patrol_url, or absolute
        expect: {status: 200, text: "Sign in"}
      - name: api health
        method: POST                   # GET (default), POST, PUT, HEAD, DELETE
        url: /api/health
        json: {probe: patrol}          # optional request body (or body: "text")
        expect: {status: [200, 201], json: {path: status, equals: ok}}

``expect.json.path`` is a dotted path into the response JSON; without ``equals`` the field must
merely exist. A step's failure ends the transaction; the failure says which step and what was seen.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from patrol.errors import ProfileError

__all__ = ["Expect", "JsonExpect", "Step", "Transaction", "judge_step", "load_transaction"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JsonExpect(_Strict):
    path: str = Field(min_length=1)
    equals: Any = None


class Expect(_Strict):
    status: int | list[int] = 200
    text: str | None = None
    json_: JsonExpect | None = Field(default=None, alias="json")


class Step(_Strict):
    name: str = Field(min_length=1)
    method: Literal["GET", "POST", "PUT", "HEAD", "DELETE"] = "GET"
    url: str = Field(min_length=1)
    json_: Any = Field(default=None, alias="json")
    body: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    expect: Expect = Expect()


class Transaction(_Strict):
    transaction: str = Field(min_length=1)
    description: str = ""
    steps: list[Step] = Field(min_length=1)


def load_transaction(folder: Path, name: str) -> Transaction:
    """The transaction ``name`` from ``folder/name.yml``; :class:`ProfileError` naming the file otherwise."""
    path = folder / f"{name}.yml"
    if not path.is_file():
        raise ProfileError(str(path), f"no such transaction file (patrol_transactions names {name!r})")
    try:
        return Transaction.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ProfileError(str(path), f"not a valid transaction: {exc}") from None


def _json_field(document: Any, path: str) -> tuple[bool, Any]:
    current = document
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return False, None
    return True, current


def judge_step(step: Step, status: int, text: str) -> str | None:
    """Why the answer fails the step's expectations, or ``None`` when it meets them."""
    wanted = step.expect.status if isinstance(step.expect.status, list) else [step.expect.status]
    if status not in wanted:
        return f"answered HTTP {status}, expected {' or '.join(map(str, wanted))}"
    if step.expect.text is not None and step.expect.text not in text:
        return f"the answer does not contain {step.expect.text!r}"
    if step.expect.json_ is not None:
        return _judge_json(step.expect.json_, text)
    return None


def _judge_json(expect: JsonExpect, text: str) -> str | None:
    try:
        document = json.loads(text)
    except ValueError:
        return "the answer is not JSON"
    found, value = _json_field(document, expect.path)
    if not found:
        return f"the JSON answer has no field {expect.path!r}"
    if expect.equals is not None and value != expect.equals:
        return f"JSON field {expect.path!r} is {value!r}, expected {expect.equals!r}"
    return None
