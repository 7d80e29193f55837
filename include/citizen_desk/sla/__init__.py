"""Reply SLAs on citizens' questions (DAG `check_reply_sla`).

`calendar` is the Vietnamese working calendar; `policy` is the pure SLA policy (targets,
deadlines, verdicts; takes `now`); `sweep` evaluates open turns against the policy in the domain
DB and enqueues alerts; `cli` is `citizen-desk sla …`. Pure modules import no DB or I/O.
"""
