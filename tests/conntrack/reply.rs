//! Replies: a connection's reply direction passes iff the connection was allowed.

use crate::support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::support::conntrack::{PairDecider, tcp, verdict};
use tagwall::conntrack::{Config, ConnTable, Outcome, PacketDirection, Timeouts, Timestamp};

const A: u8 = 1;
const B: u8 = 2;
const C: u8 = 3;

fn table_with(denied: Option<Duration>) -> ConnTable {
    let timeouts = Timeouts {
        denied,
        ..Timeouts::default()
    };
    let config = Config {
        timeouts,
        ..Config::default()
    };
    support::conntrack::table(config)
}

#[test]
fn b_replies_to_a_although_b_may_not_open_to_a() {
    // The seed's example: A may reach B, B may not initiate to A, yet B's replies to A pass.
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table_with(None);
    let now = Timestamp::from_secs(1);
    let a_to_b = tcp(A, 40000, B, 80);

    let b_opens = table.packet(&decider, &tcp(B, 40001, A, 80), now);
    assert!(!b_opens.allowed, "B may not open a connection to A");
    assert_eq!(b_opens.outcome, Outcome::New);

    let first = table.packet(&decider, &a_to_b, now);
    assert!(first.allowed);
    assert_eq!(
        (first.direction, first.outcome),
        (PacketDirection::Original, Outcome::New)
    );
    assert_eq!(first.verdict, verdict(1, true));

    let reply = table.packet(&decider, &a_to_b.reversed(), now);
    assert!(reply.allowed, "B's reply to A's connection passes");
    assert_eq!(
        (reply.direction, reply.outcome),
        (PacketDirection::Reply, Outcome::Hit)
    );
    assert_eq!(
        reply.verdict, first.verdict,
        "the reply carries the verdict that decided the connection"
    );

    let again = table.packet(&decider, &a_to_b, now);
    assert_eq!(
        (again.allowed, again.direction, again.outcome),
        (true, PacketDirection::Original, Outcome::Hit)
    );
    assert_eq!(
        decider.decisions(),
        2,
        "only the two first packets were decided"
    );
    assert_eq!(table.len(), 1, "the denied attempt was not recorded");

    let counters = table.counters();
    assert_eq!(
        (
            counters.packets,
            counters.hits,
            counters.misses,
            counters.denials
        ),
        (4, 2, 2, 1)
    );
}

#[test]
fn a_denied_connection_gets_no_reply_direction() {
    // C may open nothing and nobody may open to C: C's attempt and the answer to it both fail.
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table_with(None);
    let now = Timestamp::from_secs(1);
    let c_to_a = tcp(C, 5000, A, 22);

    let attempt = table.packet(&decider, &c_to_a, now);
    assert!(!attempt.allowed);
    let answer = table.packet(&decider, &c_to_a.reversed(), now);
    assert!(
        !answer.allowed,
        "A's packet back is no reply of an allowed connection"
    );
    assert_eq!(answer.outcome, Outcome::New);
    assert!(
        table.is_empty(),
        "denials are not remembered in this configuration"
    );
    assert_eq!(table.counters().denials, 2);
}

#[test]
fn remembered_denials_spare_the_decider_and_never_allow() {
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table_with(Some(Duration::from_secs(5)));
    let now = Timestamp::from_secs(1);
    let c_to_a = tcp(C, 5000, A, 22);

    assert!(!table.packet(&decider, &c_to_a, now).allowed);
    let retry = table.packet(&decider, &c_to_a, now);
    assert_eq!(
        (retry.allowed, retry.outcome),
        (false, Outcome::Hit),
        "the retry is answered by the remembered denial"
    );
    assert_eq!(retry.verdict, verdict(1, false));
    assert_eq!(decider.decisions(), 1);

    // A's packet back on the same ports is A's own attempt to open to C, decided afresh.
    let answer = table.packet(&decider, &c_to_a.reversed(), now);
    assert_eq!((answer.allowed, answer.outcome), (false, Outcome::New));
    assert_eq!(decider.decisions(), 2);
    let counters = table.counters();
    assert_eq!(
        (counters.denied_hits, counters.denials, counters.inserts),
        (1, 3, 1)
    );
    assert_eq!(table.len(), 1);
}

#[test]
fn a_remembered_denial_does_not_stop_the_other_end_opening() {
    // B->A is denied and remembered; A then opens the same 5-tuple the other way, which is
    // allowed, and B's packets become replies of A's connection.
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table_with(Some(Duration::from_secs(5)));
    let now = Timestamp::from_secs(1);
    let b_to_a = tcp(B, 80, A, 40000);

    assert!(!table.packet(&decider, &b_to_a, now).allowed);
    let a_opens = table.packet(&decider, &b_to_a.reversed(), now);
    assert_eq!(
        (a_opens.allowed, a_opens.direction, a_opens.outcome),
        (true, PacketDirection::Original, Outcome::New)
    );
    let reply = table.packet(&decider, &b_to_a, now);
    assert_eq!(
        (reply.allowed, reply.direction, reply.outcome),
        (true, PacketDirection::Reply, Outcome::Hit)
    );
    assert_eq!(table.len(), 1);
}

#[test]
fn an_ipv4_mapped_reply_belongs_to_the_ipv4_connection() {
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table_with(None);
    let now = Timestamp::from_secs(1);
    let a_to_b = tcp(A, 40000, B, 80);
    assert!(table.packet(&decider, &a_to_b, now).allowed);

    let mut reply = a_to_b.reversed();
    reply.dst = IpAddr::V6(Ipv4Addr::new(10, 0, 0, A).to_ipv6_mapped());
    let answer = table.packet(&decider, &reply, now);
    assert_eq!(
        (answer.allowed, answer.direction, answer.outcome),
        (true, PacketDirection::Reply, Outcome::Hit)
    );
}

#[test]
fn a_connection_to_itself_is_always_original() {
    let decider = PairDecider::new(1, &[(A, A)]);
    let table = table_with(None);
    let now = Timestamp::from_secs(1);
    let to_itself = tcp(A, 7000, A, 7000);
    assert!(table.packet(&decider, &to_itself, now).allowed);
    let again = table.packet(&decider, &to_itself.reversed(), now);
    assert_eq!(
        (again.allowed, again.direction, again.outcome),
        (true, PacketDirection::Original, Outcome::Hit)
    );
}
