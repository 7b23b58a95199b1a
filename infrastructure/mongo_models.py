"""Odmantic documents and their mapping to and from domain objects.

The domain never sees these classes; the repositories translate at the edge.
Field names on disk follow the specification's camelCase (lastCallDate, ...).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from bson import ObjectId
from odmantic import EmbeddedModel, Field, Index, Model

from domain.call_record import CallRecord
from domain.campaign import CallAttempt, Campaign, CampaignStatus, FollowUp
from domain.contact import Contact
from domain.front_desk import FrontDeskDetails
from domain.meeting import Meeting
from domain.outcomes import CallOutcome
from infrastructure.mongo_times import aware, stored


class ContactDoc(Model):
    first_name: str = Field(key_name="firstName")
    last_name: str = Field(key_name="lastName")
    phone: str
    practice: str
    title: str = ""
    email: str = ""
    state: Optional[str] = None
    timezone: Optional[str] = None
    extra: dict = Field(default_factory=dict)
    # FrontDeskDetails (decision maker, line, extension, best time). Optional with None: odmantic applies a
    # default to a key missing from an older document, but not a default_factory.
    known: Optional[dict] = None

    model_config = {"collection": "contacts", "indexes": lambda: [Index(ContactDoc.phone)]}

    @classmethod
    def from_domain(cls, c: Contact) -> "ContactDoc":
        return cls(id=ObjectId(c.id), first_name=c.first_name, last_name=c.last_name, phone=c.phone,
                   practice=c.practice, title=c.title, email=c.email, state=c.state, timezone=c.timezone,
                   extra=dict(c.extra), known=c.known.as_dict())

    def to_domain(self) -> Contact:
        return Contact(id=str(self.id), first_name=self.first_name, last_name=self.last_name, phone=self.phone,
                       practice=self.practice, title=self.title, email=self.email, state=self.state,
                       timezone=self.timezone, extra=dict(self.extra),
                       known=FrontDeskDetails.from_dict(self.known))


class AttemptDoc(EmbeddedModel):
    at: datetime
    step: int
    outcome: str
    call_id: Optional[str] = Field(default=None, key_name="callId")


class FollowUpDoc(EmbeddedModel):
    step: int
    attempt: int
    at: datetime
    asked_at: datetime = Field(key_name="askedAt")
    call_id: Optional[str] = Field(default=None, key_name="callId")


class CampaignDoc(Model):
    contact: ObjectId
    batch: str = "default"
    thread_id: Optional[str] = Field(default=None, key_name="threadId")
    script_id: Optional[str] = Field(default=None, key_name="scriptId")
    rep_calendar_id: str = Field(default="primary", key_name="repCalendarId")
    rep_name: str = Field(default="your DocShield advisor", key_name="repName")
    rep_email: str = Field(default="", key_name="repEmail")
    status: str = CampaignStatus.PENDING.value
    call_history: list[AttemptDoc] = Field(default_factory=list, key_name="callHistory")
    last_completed_step: Optional[int] = Field(default=None, key_name="lastCompletedStep")
    last_completed_date: Optional[datetime] = Field(default=None, key_name="lastCompletedDate")
    last_call_date: Optional[datetime] = Field(default=None, key_name="lastCallDate")
    settings: dict = Field(default_factory=dict)
    follow_ups: Optional[list[FollowUpDoc]] = Field(default=None, key_name="followUps")  # None in older documents

    model_config = {
        "collection": "campaigns",
        "indexes": lambda: [
            Index(CampaignDoc.contact),
            Index(CampaignDoc.batch, CampaignDoc.status),
            Index(CampaignDoc.status, CampaignDoc.last_call_date),
            Index(CampaignDoc.last_completed_date),
        ],
    }

    @classmethod
    def from_domain(cls, c: Campaign) -> "CampaignDoc":
        return cls(
            id=ObjectId(c.id), contact=ObjectId(c.contact_id), batch=c.batch, thread_id=c.thread_id,
            script_id=c.script_id, rep_calendar_id=c.rep_calendar_id, rep_name=c.rep_name, rep_email=c.rep_email,
            status=c.status.value,
            call_history=[AttemptDoc(at=stored(a.at), step=a.step, outcome=a.outcome.value, call_id=a.call_id)
                          for a in c.call_history],
            last_completed_step=c.last_completed_step, last_completed_date=stored(c.last_completed_date),
            last_call_date=stored(c.last_call_date), settings=dict(c.settings),
            follow_ups=[FollowUpDoc(step=f.step, attempt=f.attempt, at=stored(f.at), asked_at=stored(f.asked_at),
                                    call_id=f.call_id) for f in c.follow_ups],
        )

    def to_domain(self) -> Campaign:
        return Campaign(
            id=str(self.id), contact_id=str(self.contact), batch=self.batch, thread_id=self.thread_id,
            script_id=self.script_id, rep_calendar_id=self.rep_calendar_id, rep_name=self.rep_name,
            rep_email=self.rep_email, status=CampaignStatus(self.status),
            call_history=[CallAttempt(at=aware(a.at), step=a.step, outcome=CallOutcome(a.outcome),
                                      call_id=a.call_id) for a in self.call_history],
            last_completed_step=self.last_completed_step, last_completed_date=aware(self.last_completed_date),
            last_call_date=aware(self.last_call_date), settings=dict(self.settings),
            follow_ups=[FollowUp(step=f.step, attempt=f.attempt, at=aware(f.at), asked_at=aware(f.asked_at),
                                 call_id=f.call_id) for f in self.follow_ups or ()],
        )


def _meeting_doc(m: Meeting | None) -> dict | None:
    if m is None:
        return None
    return {"start": stored(m.start), "end": stored(m.end), "eventId": m.event_id, "attendeeEmail": m.attendee_email,
            "videoLink": m.video_link, "calendarId": m.calendar_id}


def _meeting(d: dict | None) -> Meeting | None:
    if not d:
        return None
    return Meeting(start=aware(d["start"]), end=aware(d["end"]), event_id=d["eventId"],
                   attendee_email=d.get("attendeeEmail", ""), video_link=d.get("videoLink", ""),
                   calendar_id=d.get("calendarId", ""))


class CallRecordDoc(Model):
    call_id: str = Field(key_name="callId", unique=True)
    campaign_id: str = Field(key_name="campaignId", index=True)
    step: int
    outcome: str
    started_at: datetime = Field(key_name="startedAt")
    ended_at: Optional[datetime] = Field(default=None, key_name="endedAt")
    duration_s: Optional[float] = Field(default=None, key_name="durationS")
    reached_human: bool = Field(default=False, key_name="reachedHuman")
    digits: list[str] = Field(default_factory=list)
    decline_reason: Optional[str] = Field(default=None, key_name="declineReason")
    callback_at: Optional[datetime] = Field(default=None, key_name="callbackAt")
    next_step: Optional[str] = Field(default=None, key_name="nextStep")
    objections: list[str] = Field(default_factory=list)
    voicemail_left: bool = Field(default=False, key_name="voicemailLeft")
    voicemail_after_beep: Optional[bool] = Field(default=None, key_name="voicemailAfterBeep")
    disclosed_ai: bool = Field(default=False, key_name="disclosedAi")
    meeting: Optional[dict] = None  # odmantic 1.1 cannot dump an optional embedded model
    transcript_key: Optional[str] = Field(default=None, key_name="transcriptKey")
    recording_key: Optional[str] = Field(default=None, key_name="recordingKey")
    deferred_until: Optional[datetime] = Field(default=None, key_name="deferredUntil")
    reason: Optional[str] = None
    turn_latencies_ms: list[float] = Field(default_factory=list, key_name="turnLatenciesMs")
    worker_id: Optional[str] = Field(default=None, key_name="workerId")
    callee_timezone: Optional[str] = Field(default=None, key_name="calleeTimezone")
    decision_maker_reached: Optional[bool] = Field(default=None, key_name="decisionMakerReached")
    first_reply_s: Optional[float] = Field(default=None, key_name="firstReplyS")
    verdict_s: Optional[float] = Field(default=None, key_name="verdictS")
    pitched: Optional[bool] = None

    # The specification's CallRecord {callTime: 1}: the call's time is stored as startedAt (the report's window).
    model_config = {"collection": "call_records",
                    "indexes": lambda: [Index(CallRecordDoc.started_at, name="callTime")]}

    @classmethod
    def from_domain(cls, r: CallRecord) -> "CallRecordDoc":
        return cls(
            call_id=r.call_id, campaign_id=r.campaign_id, step=r.step, outcome=r.outcome.value,
            started_at=stored(r.started_at), ended_at=stored(r.ended_at), duration_s=r.duration_s, reached_human=r.reached_human,
            digits=list(r.digits), decline_reason=r.decline_reason, callback_at=stored(r.callback_at),
            next_step=r.next_step,
            objections=list(r.objections), voicemail_left=r.voicemail_left,
            voicemail_after_beep=r.voicemail_after_beep, disclosed_ai=r.disclosed_ai,
            meeting=_meeting_doc(r.meeting),
            transcript_key=r.transcript_key, recording_key=r.recording_key, deferred_until=stored(r.deferred_until),
            reason=r.reason, turn_latencies_ms=list(r.turn_latencies_ms), worker_id=r.worker_id,
            callee_timezone=r.callee_timezone, decision_maker_reached=r.decision_maker_reached,
            first_reply_s=r.first_reply_s, verdict_s=r.verdict_s, pitched=r.pitched,
        )

    def to_domain(self) -> CallRecord:
        return CallRecord(
            call_id=self.call_id, campaign_id=self.campaign_id, step=self.step, outcome=CallOutcome(self.outcome),
            started_at=aware(self.started_at), ended_at=aware(self.ended_at), reached_human=self.reached_human,
            digits=list(self.digits), decline_reason=self.decline_reason, callback_at=aware(self.callback_at),
            next_step=self.next_step,
            objections=list(self.objections), voicemail_left=self.voicemail_left,
            voicemail_after_beep=self.voicemail_after_beep, disclosed_ai=self.disclosed_ai,
            meeting=_meeting(self.meeting),
            transcript_key=self.transcript_key, recording_key=self.recording_key,
            deferred_until=aware(self.deferred_until), reason=self.reason,
            turn_latencies_ms=list(self.turn_latencies_ms), worker_id=self.worker_id,
            callee_timezone=self.callee_timezone, decision_maker_reached=self.decision_maker_reached,
            first_reply_s=self.first_reply_s, verdict_s=self.verdict_s, pitched=self.pitched,
        )
