// dump_ast: the parse tree in BuildKit's Node.Dump form (build/dockerfile.h).

#include <fmt/format.h>

#include "build/dockerfile.h"

namespace quai::build {
namespace {

// Go's strconv.Quote for the ASCII range; bytes from 0x80 up are kept as they are.
std::string go_quote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string dump_instruction(const Instruction& instruction) {
  std::string out = "(" + instruction.keyword;
  if (!instruction.flags.empty()) {
    out += " [";
    for (size_t i = 0; i < instruction.flags.size(); ++i)
      out += (i ? " " : "") + go_quote(instruction.flags[i]);
    out += "]";
  }
  if (instruction.trigger) out += " " + dump_instruction(*instruction.trigger);
  for (const auto& arg : instruction.args) out += " " + go_quote(arg);
  return out + ")";
}

}  // namespace

std::string dump_ast(const Dockerfile& dockerfile) {
  std::string out;
  for (const auto& directive : dockerfile.directives)
    out += fmt::format("# {}={}\n", directive.name, directive.value);
  for (const auto& instruction : dockerfile.instructions) {
    out += dump_instruction(instruction) + "\n";
    for (const auto& heredoc : instruction.heredocs) {
      out += "  <<" + heredoc.name + (heredoc.expand ? "" : " expand=false") +
             (heredoc.chomp ? " chomp" : "") + "\n";
      size_t start = 0;
      while (start < heredoc.content.size()) {
        size_t end = heredoc.content.find('\n', start);
        if (end == std::string::npos) end = heredoc.content.size();
        out += "    " + heredoc.content.substr(start, end - start) + "\n";
        start = end + 1;
      }
      out += "  " + heredoc.name + "\n";
    }
  }
  return out;
}

}  // namespace quai::build
