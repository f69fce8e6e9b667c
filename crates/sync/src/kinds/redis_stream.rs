//! `redis-stream`: `XADD {stream} [MAXLEN ~ n] * type <type> payload <event>`.
//! A stream keeps no copy to compare, so it is never read back.

use plat_domain::Invalid;
use plat_proto::TargetKind;

use super::redis::{validate_redis_url, within};
use super::{Attempt, BoxFuture, Delivery, Kind, OptionType, ReadBackSupport, check_options};
use crate::Drivers;

pub struct RedisStream;

impl Kind for RedisStream {
    fn kind(&self) -> TargetKind {
        TargetKind::RedisStream
    }

    fn validate_url(&self, url: &str) -> Result<(), Invalid> {
        validate_redis_url(url)
    }

    fn validate_options(&self, options: &serde_json::Map<String, serde_json::Value>) -> Result<(), Invalid> {
        let known = [("stream", OptionType::Name { non_empty: true }), ("maxlen", OptionType::Count)];
        check_options(self.kind(), &known, options)
    }

    fn read_back(&self) -> ReadBackSupport {
        ReadBackSupport::Never("a stream cannot be read back")
    }

    fn deliver<'a>(&'a self, drivers: &'a Drivers, d: Delivery<'a>) -> BoxFuture<'a, Attempt> {
        Box::pin(async move {
            let stream = d.target.options.get("stream").and_then(|v| v.as_str()).unwrap_or("plat:events");
            let maxlen = d.target.options.get("maxlen").and_then(|v| v.as_u64());
            let mut pipe = redis::pipe();
            for env in d.envs {
                let cmd = pipe.cmd("XADD").arg(stream);
                if let Some(maxlen) = maxlen {
                    cmd.arg("MAXLEN").arg("~").arg(maxlen);
                }
                cmd.arg("*").arg("type").arg(env.event_type).arg("payload").arg(env.payload).ignore();
            }
            within(drivers, &d, async |conn| pipe.query_async::<()>(conn).await).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_options_are_checked() {
        assert!(RedisStream.validate_url("http://x").is_err());
        let opts = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
        assert!(RedisStream.validate_options(&opts(serde_json::json!({"maxlen": 1000}))).is_ok());
        assert!(RedisStream.validate_options(&opts(serde_json::json!({"maxlen": -1}))).is_err());
        assert!(RedisStream.validate_options(&opts(serde_json::json!({"stream": ""}))).is_err());
    }
}
