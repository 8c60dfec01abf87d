//! Content negotiation of the GraphQL-over-HTTP specification.

/// The media type of a GraphQL response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFormat {
    /// `application/graphql-response+json`: status codes tell request errors apart.
    GraphqlResponse,
    /// `application/json`: the legacy type; every well-formed request answers 200.
    Json,
}

impl ResponseFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response type from an `Accept` header; `None` when nothing acceptable is
/// offered. No header, or one that accepts any type (`*/*`, as Node's `fetch` sends),
/// means `application/json`, as the specification asks for legacy clients.
pub fn choose(accept: Option<&str>) -> Option<ResponseFormat> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(ResponseFormat::Json);
    };
    let mut best: Option<(f32, u8, ResponseFormat)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if quality <= 0.0 {
            continue;
        }
        // The rank breaks ties in favour of the specific GraphQL type.
        let candidate = match media.as_str() {
            "application/graphql-response+json" => (quality, 3, ResponseFormat::GraphqlResponse),
            "application/json" => (quality, 2, ResponseFormat::Json),
            "application/*" => (quality, 1, ResponseFormat::GraphqlResponse),
            "*/*" => (quality, 0, ResponseFormat::Json),
            _ => continue,
        };
        if best.is_none_or(|(q, rank, _)| (candidate.0, candidate.1) > (q, rank)) {
            best = Some(candidate);
        }
    }
    best.map(|(_, _, format)| format)
}

/// Whether a `Content-Type` is JSON that this hub reads (UTF-8).
pub fn is_json_body(content_type: Option<&str>) -> bool {
    let Some(value) = content_type else {
        return false;
    };
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or_default().trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.all(|param| match param.trim().split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_chooses_the_response_type() {
        use ResponseFormat::*;
        assert_eq!(choose(None), Some(Json));
        assert_eq!(
            choose(Some("application/graphql-response+json")),
            Some(GraphqlResponse)
        );
        assert_eq!(choose(Some("application/json")), Some(Json));
        assert_eq!(
            choose(Some(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(GraphqlResponse)
        );
        assert_eq!(
            choose(Some(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Some(Json)
        );
        assert_eq!(choose(Some("*/*")), Some(Json));
        assert_eq!(choose(Some("application/*")), Some(GraphqlResponse));
        assert_eq!(
            choose(Some("application/graphql-response+json, */*")),
            Some(GraphqlResponse)
        );
        assert_eq!(choose(Some("text/html")), None);
        assert_eq!(choose(Some("application/json;q=0")), None);
    }

    #[test]
    fn only_utf8_json_bodies_are_read() {
        assert!(is_json_body(Some("application/json")));
        assert!(is_json_body(Some("application/json; charset=UTF-8")));
        assert!(!is_json_body(Some("application/json; charset=latin1")));
        assert!(!is_json_body(Some("text/plain")));
        assert!(!is_json_body(Some("application/x-www-form-urlencoded")));
        assert!(!is_json_body(None));
    }
}
