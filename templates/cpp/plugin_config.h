// pluginConfig for the example plugin, and a small JSON reader for it: the C++ SDK has no JSON
// support without protobuf, and the configuration is a flat object of strings.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

struct PluginConfig {
  std::string protected_prefix = "/v2";
  std::string credential_header = "authorization";
  std::string auth_cluster;  // empty: no HTTP call
  std::string auth_path = "/check";
  std::string auth_authority;  // empty: the host part of auth_cluster
  std::string response_header = "x-wasm-plugin";

  // :authority of the auth call: configured, or the host part of an Istio cluster name
  // (outbound|8080||auth.default.svc.cluster.local -> auth.default.svc.cluster.local).
  std::string authority() const {
    if (!auth_authority.empty()) return auth_authority;
    size_t start = 0;
    for (int bars = 0; bars < 3; ++bars) {
      size_t bar = auth_cluster.find('|', start);
      if (bar == std::string::npos) return auth_cluster;
      start = bar + 1;
    }
    size_t end = auth_cluster.find('|', start);
    std::string host = auth_cluster.substr(start, end == std::string::npos ? std::string::npos : end - start);
    return host.empty() ? auth_cluster : host;
  }
};

namespace plugin_json {

// Reads one JSON document; keeps the top-level string members of an object.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  // The top-level object's string members, or nullopt (with error()) when the text is not a JSON object.
  std::optional<std::map<std::string, std::string>> readObject() {
    std::map<std::string, std::string> members;
    skipSpace();
    if (!consume('{')) return fail("the configuration must be a JSON object");
    skipSpace();
    if (consume('}')) return finish(members);
    for (;;) {
      skipSpace();
      std::string key;
      if (!readString(&key)) return fail("expected a member name");
      skipSpace();
      if (!consume(':')) return fail("expected ':'");
      skipSpace();
      if (peek() == '"') {
        std::string value;
        if (!readString(&value)) return fail("bad string");
        members[key] = value;
        non_string_.erase(key);
      } else if (!skipValue(0)) {
        return fail("bad value");
      } else {
        members.erase(key);
        non_string_.insert_or_assign(key, true);
      }
      skipSpace();
      if (consume(',')) continue;
      if (consume('}')) return finish(members);
      return fail("expected ',' or '}'");
    }
  }

  bool isNonString(const std::string& key) const { return non_string_.count(key) > 0; }
  const std::string& error() const { return error_; }

 private:
  std::optional<std::map<std::string, std::string>> fail(const char* message) {
    error_ = std::string(message) + " at offset " + std::to_string(pos_);
    return std::nullopt;
  }

  std::optional<std::map<std::string, std::string>> finish(std::map<std::string, std::string>& members) {
    skipSpace();
    if (pos_ != text_.size()) return fail("unexpected text after the object");
    return members;
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  bool consume(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) ++pos_;
  }

  static int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool readHex4(uint32_t* out) {
    if (pos_ + 4 > text_.size()) return false;
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      int digit = hexDigit(text_[pos_++]);
      if (digit < 0) return false;
      value = value * 16 + static_cast<uint32_t>(digit);
    }
    *out = value;
    return true;
  }

  static void appendUtf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool readString(std::string* out) {
    if (!consume('"')) return false;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return false;
      char escape = text_[pos_++];
      switch (escape) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!readHex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low = 0;
            if (!consume('\\') || !consume('u') || !readHex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          appendUtf8(out, cp);
          break;
        }
        default: return false;
      }
    }
    return false;
  }

  bool skipLiteral(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool skipNumber() {
    size_t start = pos_;
    consume('-');
    while (pos_ < text_.size() && ((text_[pos_] >= '0' && text_[pos_] <= '9') || text_[pos_] == '.' || text_[pos_] == 'e' ||
                                   text_[pos_] == 'E' || text_[pos_] == '+' || text_[pos_] == '-')) {
      ++pos_;
    }
    return pos_ > start;
  }

  // Skips any JSON value (nested objects and arrays included).
  bool skipValue(int depth) {
    if (depth > 64) return false;
    skipSpace();
    char c = peek();
    if (c == '"') {
      std::string ignored;
      return readString(&ignored);
    }
    if (c == 't') return skipLiteral("true");
    if (c == 'f') return skipLiteral("false");
    if (c == 'n') return skipLiteral("null");
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++pos_;
      skipSpace();
      if (consume(close)) return true;
      for (;;) {
        skipSpace();
        if (c == '{') {
          std::string ignored;
          if (!readString(&ignored)) return false;
          skipSpace();
          if (!consume(':')) return false;
        }
        if (!skipValue(depth + 1)) return false;
        skipSpace();
        if (consume(',')) continue;
        return consume(close);
      }
    }
    return skipNumber();
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
  std::map<std::string, bool> non_string_;
};

}  // namespace plugin_json

// Parses pluginConfig: empty means defaults; anything but a JSON object (or a known key that is
// not a string) is an error, returned in *error.
inline std::optional<PluginConfig> parsePluginConfig(std::string_view text, std::string* error) {
  PluginConfig config;
  bool blank = true;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      blank = false;
      break;
    }
  }
  if (blank) return config;

  plugin_json::Reader reader(text);
  auto members = reader.readObject();
  if (!members) {
    *error = reader.error();
    return std::nullopt;
  }
  struct Field {
    const char* key;
    std::string* target;
  };
  const Field fields[] = {
      {"protectedPrefix", &config.protected_prefix}, {"credentialHeader", &config.credential_header},
      {"authCluster", &config.auth_cluster},         {"authPath", &config.auth_path},
      {"authAuthority", &config.auth_authority},     {"responseHeader", &config.response_header},
  };
  for (const Field& field : fields) {
    if (reader.isNonString(field.key)) {
      *error = std::string(field.key) + " must be a string";
      return std::nullopt;
    }
    auto found = members->find(field.key);
    if (found != members->end()) *field.target = found->second;
  }
  return config;
}
