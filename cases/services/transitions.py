"""The one way a state changes: lock the row, re-check, transition, save, record.

Every service that moves a case, an approval or a certificate goes through
``run_transition``. It opens (or joins) a transaction, locks the row with
``SELECT ... FOR UPDATE`` (on SQLite the ``IMMEDIATE`` transaction mode gives the
same serialisation), re-reads the state, checks the transition's source,
conditions and permission, saves, and writes exactly one ``CaseEvent`` in the
same transaction. Of two concurrent calls, exactly one wins; the other gets a
``ConcurrentTransitionError`` (someone else moved it first) and changes nothing.
Side effects are registered with ``transaction.on_commit`` by the caller.
"""

from __future__ import annotations

import contextlib
import copy
import functools
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, FSMFieldMixin, can_proceed, has_transition_perm

from departments.roles import user_department_id

from ..constants import TRANSITION_LABELS, EventKind
from ..exceptions import (
    ConcurrentTransitionError,
    InvalidTransitionError,
    TransitionPermissionError,
)
from ..models import Approval, Case, CaseEvent
from ..selectors.engine import row_for_update

# A case, an approval, or a model above this app with one FSM state field (a certificate).
Stateful = TypeVar("Stateful", bound=models.Model)


@functools.cache
def _state_field_name(model: type[models.Model]) -> str:
    """The model's state field: each of ours (case, approval, certificate) has one."""
    (field,) = (field for field in model._meta.concrete_fields if isinstance(field, FSMFieldMixin))
    return field.name


def _describe(instance: models.Model) -> str:
    if isinstance(instance, Case):
        return _("办件 %(number)s") % {"number": instance.tracking_no}
    if isinstance(instance, Approval):
        return _("审批 #%(id)s") % {"id": instance.pk}
    return _("证照 %(number)s") % {"number": getattr(instance, "number", instance.pk)}


def _state_label(model: type[models.Model], field_name: str, state: str) -> str:
    """The state as people read it (「已受理」), from the field's choices."""
    return str(dict(model._meta.get_field(field_name).flatchoices).get(state, state))


def _event_targets(instance: models.Model) -> dict[str, Any]:
    if isinstance(instance, Case):
        return {"case": instance}
    if isinstance(instance, Approval):
        return {"case_id": instance.case_id, "approval": instance}
    return {"case_id": instance.case_id, "certificate": instance}


def _column_values(instance: models.Model) -> dict[str, Any]:
    """The row's values before the transition; JSON lists and dicts copied, so a
    transition that changes one in place is still seen to change it."""
    values = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        values[field.attname] = copy.deepcopy(value) if isinstance(value, dict | list) else value
    return values


def _changed_fields(instance: models.Model, before: dict[str, Any]) -> list[str]:
    """The columns the transition changed, and those saved on every save (``auto_now``):
    the UPDATE writes only these (the row is locked, nothing else can have changed)."""
    return [
        field.attname
        for field in instance._meta.concrete_fields
        if not field.primary_key
        and (
            getattr(field, "auto_now", False)
            or getattr(instance, field.attname) != before[field.attname]
        )
    ]


def joined_atomic() -> contextlib.AbstractContextManager:
    """``transaction.atomic()`` when there is no transaction yet; inside one, nothing:
    the caller's transaction holds the work, without a savepoint (two statements saved).
    Use it where nothing is written before the last chance to refuse, so a caller
    that catches the refusal can go on."""
    if transaction.get_connection().in_atomic_block:
        return contextlib.nullcontext()
    return transaction.atomic()


def row_locked(instance: Stateful, *, already_locked: bool = False) -> Stateful:
    """``instance`` read again with ``SELECT ... FOR UPDATE`` in the current transaction;
    or ``instance`` itself when the caller says it did that already (trusted only
    inside a transaction, where the lock can still be held)."""
    if already_locked and transaction.get_connection().in_atomic_block:
        return instance
    locked = row_for_update(model=type(instance), pk=instance.pk)
    # Related rows the caller already loaded (item, case, applicant...) stay usable:
    # a transition changes state columns, never foreign keys.
    for field in instance._meta.concrete_fields:
        if field.is_relation and field.is_cached(instance):
            field.set_cached_value(locked, field.get_cached_value(instance))
    return locked


def run_transition(
    instance: Stateful,
    transition: str,
    *,
    actor: Any = None,
    actor_label: str = "",
    note: str = "",
    event_kind: str = EventKind.TRANSITION,
    event_data: dict[str, Any] | None = None,
    is_public: bool = True,
    already_locked: bool = False,
    **arguments: Any,
) -> Stateful:
    """Run ``instance.<transition>(**arguments)`` safely and return the saved, fresh row.

    ``actor`` is the user acting, or ``None`` for the system itself (a task, a
    webhook), whose label goes into ``actor_label``. ``already_locked`` says that the
    caller read ``instance`` with ``select_for_update()`` in the current transaction,
    so it is fresh and its row is held: it is not read again.
    """
    model = type(instance)
    field_name = _state_field_name(model)
    seen_state = getattr(instance, field_name)
    label = TRANSITION_LABELS.get(transition, transition)
    # Inside the caller's transaction no savepoint of our own: every refusal below is
    # raised before anything is written; a failed write marks it for rollback.
    with joined_atomic():
        locked = row_locked(instance, already_locked=already_locked)
        current_state = getattr(locked, field_name)
        method = getattr(locked, transition)
        if not can_proceed(method):
            if current_state != seen_state:
                raise ConcurrentTransitionError(
                    _(
                        "%(what)s 已被他人处理：状态已由「%(seen)s」变为「%(current)s」，未能%(action)s。请刷新后再试。"
                    )
                    % {
                        "what": _describe(locked),
                        "seen": _state_label(model, field_name, seen_state),
                        "current": _state_label(model, field_name, current_state),
                        "action": label,
                    }
                )
            raise InvalidTransitionError(
                _("%(what)s 当前状态为「%(current)s」，不能%(action)s。")
                % {
                    "what": _describe(locked),
                    "current": _state_label(model, field_name, current_state),
                    "action": label,
                }
            )
        if actor is not None and not has_transition_perm(method, actor):
            raise TransitionPermissionError(
                _("您没有权限对%(what)s执行「%(action)s」。")
                % {"what": _describe(locked), "action": label}
            )
        before = _column_values(locked)
        method(**arguments)
        with transaction.atomic(savepoint=False):
            # ``ConcurrentTransitionMixin.save`` also requires the state the row was read
            # in (``UPDATE ... WHERE id = … AND state = …``): it only refuses where the row
            # lock is not honoured. Only the changed columns are written.
            try:
                locked.save(update_fields=_changed_fields(locked, before))
            except ConcurrentTransition as error:
                raise ConcurrentTransitionError(
                    _("%(what)s 已被他人同时处理，未能%(action)s。请刷新后再试。")
                    % {"what": _describe(locked), "action": label}
                ) from error
            CaseEvent.objects.create(
                **_event_targets(locked),
                kind=event_kind,
                name=transition,
                from_state=current_state,
                to_state=getattr(locked, field_name),
                actor=actor,
                actor_department_id=user_department_id(actor),
                actor_label=actor_label if actor is None else "",
                note=note,
                data=event_data or {},
                is_public=is_public,
            )
    return locked
