//! Arbitrary bytes as runtime API input lines, at every level: the parser
//! and the connection state never panic, refused commands reach the engine never,
//! and every command the parser accepts at a level is accepted at higher
//! levels too.

#![no_main]

use haproxy_rs::ops::cli::{parse_command, split_commands, AdminAction, Level, ServerRef};
use haproxy_rs::ops::runtime::{CliConnection, Control, ControlError};
use haproxy_rs::ops::snapshot::Snapshot;
use libfuzzer_sys::fuzz_target;

/// Counts the changes to servers and frontends handed to the engine.
#[derive(Default)]
struct Count(usize);

impl Control for Count {
    fn set_server_admin(&mut self, _: &ServerRef, _: AdminAction) -> Result<(), ControlError> {
        self.0 += 1;
        Ok(())
    }
    fn set_server_weight(&mut self, _: &ServerRef, _: u32) -> Result<(), ControlError> {
        self.0 += 1;
        Ok(())
    }
    fn set_server_maxconn(&mut self, _: &ServerRef, _: u64) -> Result<(), ControlError> {
        self.0 += 1;
        Ok(())
    }
    fn set_frontend_maxconn(&mut self, _: &str, _: u64) -> Result<(), ControlError> {
        self.0 += 1;
        Ok(())
    }
    fn set_global_maxconn(&mut self, _: u64) -> Result<(), ControlError> {
        // Needs no lookup, so it may pass on an empty snapshot.
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let snap = Snapshot::default();
    for line in text.split('\n').take(4) {
        for cmd in split_commands(line) {
            let user = parse_command(&cmd, Level::User);
            let oper = parse_command(&cmd, Level::Operator);
            let admin = parse_command(&cmd, Level::Admin);
            if user.is_ok() {
                assert!(oper.is_ok() && admin.is_ok(), "{cmd:?}");
            }
            if oper.is_ok() {
                assert!(admin.is_ok(), "{cmd:?}");
            }
        }
        // An empty snapshot has no backend, server or frontend: no change
        // to one may reach the engine whatever the level.
        let mut count = Count::default();
        let mut s = CliConnection::new(Level::Admin);
        let _ = s.handle_line(line, &snap, &mut count);
        let mut user = CliConnection::new(Level::User);
        let _ = user.handle_line(line, &snap, &mut count);
        assert_eq!(count.0, 0, "{line:?}");
    }
});
