"""Roles of Renkou's users and what each may do (pure data, no Django).

A user has one role (one account per post, as in the bureaus) and two sets of areas: the areas in
which they capture (enter and change) person-level data and the areas they may view. What a role
may do is a set of permission names checked by :func:`renkou.core.scoping.require`.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    VILLAGE_OFFICER = "village_officer"
    TOWNSHIP_OFFICER = "township_officer"
    COUNTY_OFFICER = "county_officer"
    EVALUATOR = "evaluator"
    LOAN_OFFICER = "loan_officer"
    AUDITOR = "auditor"
    MACHINE_PEER = "machine_peer"


ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.VILLAGE_OFFICER: ("村级专干", "Village officer"),
    Role.TOWNSHIP_OFFICER: ("乡镇专干", "Township officer"),
    Role.COUNTY_OFFICER: ("县级管理员", "County officer"),
    Role.EVALUATOR: ("考核评估人员", "Evaluator"),
    Role.LOAN_OFFICER: ("幸福工程项目专干", "Loan officer"),
    Role.AUDITOR: ("审计员(只读)", "Auditor (read-only)"),
    Role.MACHINE_PEER: ("系统对接账户", "Machine peer (API token)"),
}

# Permission names. Person-level reads are additionally limited to the user's view areas,
# writes to the capture areas, by the one scoping function.
PERSON_VIEW = "person.view"
# Persons linked to the user's work (与本人工作相关的人员): not an area-wide read, only the persons a
# piece of the user's own work names — the members of the households drawn in a verification sample
# of the user's assessment, (once loans exist) a loan's applicants and borrowers. Read only through
# that work's page, by ``scoping.linked(user, Model, work, ...)``, masked and audited; a role with this
# permission and no PERSON_VIEW can neither search the register nor open a person's record.
PERSON_LINKED = "person.linked"
PERSON_CAPTURE = "person.capture"
EVENT_VERIFY = "event.verify"
EVENT_REGISTER = "event.register"
ID_CONFIRM = "idnumber.confirm"
DUPLICATE_REVIEW = "duplicate.review"
PERSON_EXPORT = "person.export"
AUDIT_VIEW = "audit.view"
USER_MANAGE = "user.manage"
AREA_MANAGE = "area.manage"
AGGREGATE_VIEW = "aggregate.view"
AGGREGATE_CAPTURE = "aggregate.capture"
AGGREGATE_APPROVE = "aggregate.approve"
ASSESSMENT_MANAGE = "assessment.manage"
LOAN_MANAGE = "loan.manage"
EXCHANGE = "exchange"
BENEFIT_VIEW = "benefit.view"
BENEFIT_PROPOSE = "benefit.propose"
BENEFIT_REVIEW = "benefit.review"
BENEFIT_APPROVE = "benefit.approve"
BENEFIT_MANAGE = "benefit.manage"

PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.VILLAGE_OFFICER: frozenset({PERSON_VIEW, PERSON_CAPTURE, AGGREGATE_VIEW, AGGREGATE_CAPTURE}),
    Role.TOWNSHIP_OFFICER: frozenset({PERSON_VIEW, PERSON_CAPTURE, EVENT_VERIFY, PERSON_EXPORT, AGGREGATE_VIEW,
                                      AGGREGATE_CAPTURE, AGGREGATE_APPROVE}),
    Role.COUNTY_OFFICER: frozenset({PERSON_VIEW, PERSON_LINKED, PERSON_CAPTURE, EVENT_VERIFY, EVENT_REGISTER, ID_CONFIRM,
                                    DUPLICATE_REVIEW, PERSON_EXPORT, USER_MANAGE, AREA_MANAGE, AGGREGATE_VIEW,
                                    AGGREGATE_CAPTURE, AGGREGATE_APPROVE, ASSESSMENT_MANAGE}),
    # An evaluator needs aggregate values and the households of its own verification samples.
    Role.EVALUATOR: frozenset({PERSON_LINKED, AGGREGATE_VIEW, ASSESSMENT_MANAGE}),
    # A loan officer reads no register: only the applicants and borrowers of the loans of its areas,
    # through the work "loan" (LOAN_WORK below, registered with scoping.link() by the loans module).
    Role.LOAN_OFFICER: frozenset({LOAN_MANAGE, AGGREGATE_VIEW}),
    Role.AUDITOR: frozenset({AUDIT_VIEW, AGGREGATE_VIEW}),
    Role.MACHINE_PEER: frozenset({EXCHANGE, PERSON_VIEW, PERSON_CAPTURE}),
}

# The kinds of work through which a role reads linked persons (with PERSON_LINKED). The work's module
# registers how a piece of work names its persons (``scoping.link``); a role reads through the works
# listed here and no other.
VERIFICATION_WORK = "verification"  # the households of a verification sample (evaluation)
LINKED_WORK: dict[Role, frozenset[str]] = {
    Role.COUNTY_OFFICER: frozenset({VERIFICATION_WORK}),
    Role.EVALUATOR: frozenset({VERIFICATION_WORK}),
}

# Migrants (流动人口): the officers of the place where a migrant lives (village, township, county) read
# the migrant pages of their areas; service agreements with landlords and employers are signed by the
# township and the county.
MIGRANT_VIEW = "migrant.view"
MIGRANT_AGREEMENT = "migrant.agreement"
PERMISSIONS[Role.VILLAGE_OFFICER] |= {MIGRANT_VIEW}
PERMISSIONS[Role.TOWNSHIP_OFFICER] |= {MIGRANT_VIEW, MIGRANT_AGREEMENT}
PERMISSIONS[Role.COUNTY_OFFICER] |= {MIGRANT_VIEW, MIGRANT_AGREEMENT}

# Roles whose own work (never person-level data) is done in the areas they are assigned to view: an
# evaluator assesses the areas it is assigned to and has no capture areas, for it enters no person; a
# loan officer runs the fund of the areas it is assigned to (it writes loans, never the register).
WORKS_IN_VIEW_AREAS = frozenset({Role.EVALUATOR, Role.LOAN_OFFICER})

# The officer of an assessed unit, by the level of the units a scheme assesses: the one who files
# the unit's appeals and reads its own scorecard (township officer of that township, …).
UNIT_OFFICER: dict[str, Role] = {"county": Role.COUNTY_OFFICER, "township": Role.TOWNSHIP_OFFICER,
                                 "village": Role.VILLAGE_OFFICER}

# Benefits (利益导向): the village proposes, the township reviews, the county approves and pays.
PERMISSIONS[Role.VILLAGE_OFFICER] |= {BENEFIT_VIEW, BENEFIT_PROPOSE}
PERMISSIONS[Role.TOWNSHIP_OFFICER] |= {BENEFIT_VIEW, BENEFIT_REVIEW}
PERMISSIONS[Role.COUNTY_OFFICER] |= {BENEFIT_VIEW, BENEFIT_APPROVE, BENEFIT_MANAGE}
PERMISSIONS[Role.AUDITOR] |= {BENEFIT_VIEW}

# 幸福工程 loans: the village proposes after the public listing, the township reviews and collects,
# the project office (loan officer) visits, signs, disburses, collects and evaluates, the committee's
# approval is entered by the county officer; the loan officer reads the persons of its loans only.
LOAN_VIEW = "loan.view"
LOAN_PROPOSE = "loan.propose"
LOAN_REVIEW = "loan.review"
LOAN_APPROVE = "loan.approve"
LOAN_COLLECT = "loan.collect"
LOAN_WORK = "loan"  # the applicants and borrowers of a user's loans (linked work)
PERMISSIONS[Role.VILLAGE_OFFICER] |= {LOAN_VIEW, LOAN_PROPOSE}
PERMISSIONS[Role.TOWNSHIP_OFFICER] |= {LOAN_VIEW, LOAN_REVIEW, LOAN_COLLECT}
PERMISSIONS[Role.COUNTY_OFFICER] |= {LOAN_VIEW, LOAN_APPROVE}
PERMISSIONS[Role.LOAN_OFFICER] |= {LOAN_VIEW, LOAN_COLLECT, PERSON_LINKED}
PERMISSIONS[Role.AUDITOR] |= {LOAN_VIEW}
LINKED_WORK[Role.LOAN_OFFICER] = frozenset({LOAN_WORK})
# Department feeds (部门信息比对): the county manages its sources and mappings, receives files and runs
# the linkage; a machine peer sends files; decisions on the queue are person captures in the record's area.
FEED_MANAGE = "feed.manage"
FEED_SUBMIT = "feed.submit"
PERMISSIONS[Role.COUNTY_OFFICER] |= {FEED_MANAGE}
PERMISSIONS[Role.MACHINE_PEER] |= {FEED_SUBMIT}
# Exchange between nodes: a peer node posts signed messages to the inbox with its machine-peer token;
# county officers see the exchange's cases and status pages of their area.
EXCHANGE_SUBMIT = "exchange.submit"
EXCHANGE_VIEW = "exchange.view"
PERMISSIONS[Role.MACHINE_PEER] |= {EXCHANGE_SUBMIT}
PERMISSIONS[Role.COUNTY_OFFICER] |= {EXCHANGE_VIEW}
PERMISSIONS[Role.TOWNSHIP_OFFICER] |= {EXCHANGE_VIEW}

# Roles that may write person-level data at all (their capture areas bound where).
CAPTURE_ROLES = frozenset(r for r, perms in PERMISSIONS.items() if PERSON_CAPTURE in perms)


def permissions_of(role: str | None) -> frozenset[str]:
    try:
        return PERMISSIONS[Role(role)]
    except ValueError:
        return frozenset()


def linked_work_of(role: str | None) -> frozenset[str]:
    """The kinds of work through which the role reads the persons that work names."""
    try:
        role = Role(role)
    except ValueError:
        return frozenset()
    return LINKED_WORK.get(role, frozenset()) if PERSON_LINKED in PERMISSIONS[role] else frozenset()
