#pragma once
// Recoverable errors: a bad model, an unsupported op or opset. They travel as values
// (Status / Expected<T>) through ir/ and passes/; no exception crosses those layers.

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace kiln {

enum class Severity { Error, Warning, Note };

/// One message about a model, printed as
/// `model.onnx: node 'MatMul_12' (MatMul): inner dims differ (768 vs 512)`.
struct Diagnostic {
  Severity severity = Severity::Error;
  std::string file;     ///< model file, empty when unknown
  std::string node;     ///< node name, empty when the message is not about one node
  std::string op;       ///< op type of that node
  std::string message;

  std::string str() const;
};

/// Ok, or one error diagnostic.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Diagnostic d) : diag_(std::move(d)) {}  // NOLINT: implicit by design

  static Status ok() { return {}; }
  static Status error(std::string message) { return Diagnostic{.message = std::move(message)}; }
  static Status nodeError(std::string node, std::string op, std::string message) {
    return Diagnostic{.node = std::move(node), .op = std::move(op), .message = std::move(message)};
  }

  bool isOk() const { return !diag_.has_value(); }
  explicit operator bool() const { return isOk(); }
  const Diagnostic& diagnostic() const { return *diag_; }
  Diagnostic& diagnostic() { return *diag_; }
  std::string str() const { return diag_ ? diag_->str() : "ok"; }

  /// Fills in the file name if the diagnostic has none yet (callers deep inside do not know it).
  Status& inFile(const std::string& file) {
    if (diag_ && diag_->file.empty()) diag_->file = file;
    return *this;
  }

 private:
  std::optional<Diagnostic> diag_;
};

/// A value or the Status saying why there is none.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}            // NOLINT
  Expected(Status status) : v_(std::move(status)) {      // NOLINT
    assert(!std::get<Status>(v_).isOk() && "Expected built from an ok Status");
  }
  Expected(Diagnostic d) : v_(Status(std::move(d))) {}  // NOLINT

  bool hasValue() const { return v_.index() == 0; }
  explicit operator bool() const { return hasValue(); }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T take() { return std::move(std::get<0>(v_)); }
  const Status& status() const { return std::get<1>(v_); }
  Status takeStatus() { return std::move(std::get<1>(v_)); }

 private:
  std::variant<T, Status> v_;
};

/// Internal invariant check: a failure is a kiln bug, never a property of the input.
[[noreturn]] void internalError(const char* file, int line, const char* what);
#define KILN_ASSERT(cond)                                            \
  do {                                                               \
    if (!(cond)) ::kiln::internalError(__FILE__, __LINE__, #cond);   \
  } while (0)

#define KILN_RETURN_IF_ERROR(expr)          \
  do {                                      \
    ::kiln::Status kilnStatus_ = (expr);    \
    if (!kilnStatus_.isOk()) return kilnStatus_; \
  } while (0)

}  // namespace kiln
