//! A CSV file for `platctl user import`: split into records by the `csv`
//! crate as the CLI does (flexible, byte-wise), the header checked and each
//! record turned into an import line by `plat_domain::import`.
//!
//! Properties: every record becomes exactly one NDJSON line that the server
//! parses as JSON (a refusal is only ever about a field's value), with the
//! record's username and email, and roles that are trimmed and non-empty.
#![no_main]

use std::cell::RefCell;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::rc::Rc;

use libfuzzer_sys::fuzz_target;
use plat_domain::import::{CsvColumns, LineError, check_csv_headers, parse_ndjson_line};
use plat_proto::ImportUser;

/// The input of the current run, shared with the reader below.
#[derive(Clone, Default)]
struct Input(Rc<RefCell<Cursor<Vec<u8>>>>);

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().read(buf)
    }
}

impl Seek for Input {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.0.borrow_mut().seek(pos)
    }
}

thread_local! {
    /// One reader for every run, rewound each time: building a CSV reader
    /// (its state machine) costs more than the rest of a run together.
    /// Headers are read as the first record, so rewinding reads them again.
    static READER: (Input, RefCell<csv::Reader<Input>>) = {
        let input = Input::default();
        let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(input.clone());
        // Known headers, so that rewinding never reads any.
        reader.set_byte_headers(csv::ByteRecord::new());
        (input, RefCell::new(reader))
    };
}

fuzz_target!(|data: &[u8]| {
    READER.with(|(input, reader)| {
        *input.0.borrow_mut() = Cursor::new(data.to_vec());
        let mut reader = reader.borrow_mut();
        reader.seek_raw(SeekFrom::Start(0), csv::Position::new()).expect("rewinds");
        check(&mut reader);
    });
});

fn check(reader: &mut csv::Reader<Input>) {
    let mut records = reader.byte_records();
    // As `csv::Reader::headers`: the first record, which must be UTF-8.
    let Some(Ok(first)) = records.next() else { return };
    let Ok(headers) = csv::StringRecord::from_byte_record(first) else { return };
    let checked = check_csv_headers(headers.iter());
    if let Err(message) = &checked {
        assert!(message.starts_with("a CSV import needs") || message.starts_with("unknown CSV column"));
    }
    let columns = CsvColumns::new(headers.iter());
    let position = |name: &str| headers.iter().position(|h| h == name);
    for record in records {
        let Ok(record) = record else { return };
        let user = columns.user(|i| record.get(i));
        let expect = |name: &str| {
            position(name)
                .and_then(|i| record.get(i))
                .filter(|v| !v.is_empty())
                .map(|v| String::from_utf8_lossy(v).into_owned())
        };
        assert_eq!(Some(&user.username).filter(|u| !u.is_empty()), expect("username").as_ref());
        assert_eq!(Some(&user.email).filter(|e| !e.is_empty()), expect("email").as_ref());
        for role in user.roles.iter().flatten() {
            assert!(!role.is_empty() && role.trim() == role && !role.contains([';', ',']), "{role:?}");
        }
        let line = serde_json::to_string(&user).expect("serializes");
        assert!(!line.contains('\n'), "a record is one line");
        match parse_ndjson_line(line.trim()) {
            Err((_, LineError::Json(e))) => panic!("the server cannot read the line {line}: {e}"),
            Err((username, _)) => assert_eq!(username.as_deref(), Some(user.username.as_str())),
            Ok(parsed) => {
                assert_eq!((parsed.username, parsed.email), (user.username.clone(), user.email.clone()));
                let back: ImportUser = serde_json::from_str(&line).expect("JSON");
                assert_eq!(back, user);
            }
        }
    }
}
