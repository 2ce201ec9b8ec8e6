//! The example plugin (see README.md): logs its configuration, marks every request it sees, answers
//! 401 on a protected path prefix when the credential header is missing, optionally checks the
//! credential with an HTTP call to an Istio cluster, and adds a header to every response.

use std::rc::Rc;
use std::time::Duration;

use log::{error, info, warn};
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};
use serde::Deserialize;

/// Root id used in headers when the host gives none (Istio sets it to the WasmPlugin's pluginName).
const DEFAULT_ROOT_ID: &str = "istio-wasm";
/// Time the auth cluster has to answer.
const AUTH_TIMEOUT: Duration = Duration::from_millis(5000);

proxy_wasm::main! {{
    // Pass every level to the host; the proxy's own log level decides what is shown.
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_root_context(|_context_id| -> Box<dyn RootContext> {
        Box::new(PluginRoot::default())
    });
}}

/// `pluginConfig`, as JSON. Every key is optional.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Config {
    protected_prefix: String,
    credential_header: String,
    auth_cluster: Option<String>,
    auth_path: String,
    auth_authority: Option<String>,
    response_header: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            protected_prefix: "/v2".to_string(),
            credential_header: "authorization".to_string(),
            auth_cluster: None,
            auth_path: "/check".to_string(),
            auth_authority: None,
            response_header: "x-wasm-plugin".to_string(),
        }
    }
}

impl Config {
    /// `:authority` of the auth call: configured, or the host part of an Istio cluster name
    /// (`outbound|8080||auth.default.svc.cluster.local` -> `auth.default.svc.cluster.local`).
    fn authority_for(&self, cluster: &str) -> String {
        if let Some(authority) = self.auth_authority.as_deref().filter(|a| !a.is_empty()) {
            return authority.to_string();
        }
        match cluster.split('|').nth(3) {
            Some(host) if !host.is_empty() => host.to_string(),
            _ => cluster.to_string(),
        }
    }
}

/// Parses `pluginConfig`: empty means defaults; anything but a JSON object is an error.
fn parse_config(raw: &[u8]) -> Result<Config, String> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Config::default());
    }
    let value: serde_json::Value = serde_json::from_slice(raw).map_err(|e| e.to_string())?;
    if !value.is_object() {
        return Err("the configuration must be a JSON object".to_string());
    }
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// One per plugin configuration: holds the parsed config and creates a context per HTTP stream.
struct PluginRoot {
    config: Rc<Config>,
    root_id: Rc<String>,
}

impl Default for PluginRoot {
    fn default() -> Self {
        PluginRoot {
            config: Rc::new(Config::default()),
            root_id: Rc::new(DEFAULT_ROOT_ID.to_string()),
        }
    }
}

impl Context for PluginRoot {}

impl RootContext for PluginRoot {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        let raw = self.get_plugin_configuration().unwrap_or_default();
        info!("config: {}", String::from_utf8_lossy(&raw));
        let config = match parse_config(&raw) {
            Ok(config) => config,
            Err(reason) => {
                error!("invalid configuration: {}", reason);
                return false;
            }
        };
        self.config = Rc::new(config);

        let root_id = self
            .get_property(vec!["plugin_root_id"])
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| DEFAULT_ROOT_ID.to_string());
        self.root_id = Rc::new(root_id);
        true
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(PluginHttp {
            context_id,
            config: Rc::clone(&self.config),
            root_id: Rc::clone(&self.root_id),
        }))
    }
}

/// One per HTTP stream; dropped by the SDK when the host deletes the stream's context.
struct PluginHttp {
    context_id: u32,
    config: Rc<Config>,
    root_id: Rc<String>,
}

impl Context for PluginHttp {
    fn on_http_call_response(&mut self, _token_id: u32, num_headers: usize, _body_size: usize, _num_trailers: usize) {
        // A failed call (timeout, unknown cluster, reset) arrives with no headers at all.
        let status = if num_headers == 0 { None } else { self.get_http_call_response_header(":status") };
        if status.as_deref() == Some("200") {
            self.resume_http_request();
            return;
        }
        warn!(
            "#{} credential rejected by the auth cluster (status {})",
            self.context_id,
            status.as_deref().unwrap_or("none")
        );
        self.send_http_response(403, vec![("content-type", "text/plain")], Some(b"forbidden\n".as_slice()));
    }
}

impl HttpContext for PluginHttp {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let path = self.get_http_request_header(":path").unwrap_or_default();
        // Show the upstream that the plugin ran.
        self.set_http_request_header("x-wasm-plugin-request", Some(self.root_id.as_str()));

        if !path.starts_with(self.config.protected_prefix.as_str()) {
            return Action::Continue;
        }

        let header = self.config.credential_header.as_str();
        let credential = match self.get_http_request_header(header) {
            Some(value) => value,
            None => {
                warn!("#{} {}: missing {} header, answering 401", self.context_id, path, header);
                let body = format!("unauthorized: missing {} header\n", header);
                self.send_http_response(
                    401,
                    vec![("content-type", "text/plain"), ("www-authenticate", "Bearer")],
                    Some(body.as_bytes()),
                );
                return Action::Pause;
            }
        };

        let cluster = match self.config.auth_cluster.as_deref().filter(|c| !c.is_empty()) {
            Some(cluster) => cluster,
            None => return Action::Continue,
        };
        let authority = self.config.authority_for(cluster);
        let headers = vec![
            (":method", "GET"),
            (":path", self.config.auth_path.as_str()),
            (":authority", authority.as_str()),
            (header, credential.as_str()),
        ];
        match self.dispatch_http_call(cluster, headers, None, vec![], AUTH_TIMEOUT) {
            // Wait for on_http_call_response, which resumes the request or answers 403.
            Ok(_token) => Action::Pause,
            Err(status) => {
                error!("#{} http call to {} failed: {:?}", self.context_id, cluster, status);
                self.send_http_response(403, vec![("content-type", "text/plain")], Some(b"forbidden\n".as_slice()));
                Action::Pause
            }
        }
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.add_http_response_header(self.config.response_header.as_str(), self.root_id.as_str());
        Action::Continue
    }
}
