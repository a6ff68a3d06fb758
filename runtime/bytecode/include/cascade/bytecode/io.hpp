// Writing and reading .cbc modules and .cbb bundles.
//
// write() is deterministic: the same Module gives the same bytes (and so the same program
// hash) on every machine. read() takes untrusted bytes and returns either a Module or an
// Error {byte offset, message}; it checks the structure (magic, version, directory, section
// bounds, checksum, program hash, counts against remaining bytes, UTF-8, exact section
// lengths) but not what the code means: run verify() (verify.hpp) before executing a module,
// or use load(), which does both.
//
// A bundle is "CBB\0", version u16, reserved u16, module count u32, then count × (offset u32,
// length u32) of the modules, then the modules themselves, each a complete .cbc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "cascade/bytecode/module.hpp"

namespace cascade::bytecode {

struct Error {
  std::size_t offset = 0;  // byte offset in the input where the problem was found
  std::string message;
};

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : v_(std::move(error)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct ReadOptions {
  // Check the trailing checksum and the program hash. Off only to let tests and fuzzers reach
  // the structural checks behind them with mutated bytes; never off for files the VM runs.
  bool check_integrity = true;
};

std::vector<std::uint8_t> write(const Module& m);
Result<Module> read(std::span<const std::uint8_t> bytes, const ReadOptions& opts = {});
// read() then verify(); the first verifier error becomes the Error (offset: the code offset).
Result<Module> load(std::span<const std::uint8_t> bytes);

std::vector<std::uint8_t> write_bundle(std::span<const Module> modules);
Result<std::vector<Module>> read_bundle(std::span<const std::uint8_t> bytes, const ReadOptions& opts = {});
// Whether the bytes start with the bundle magic "CBB\0" (else treat them as one module).
bool is_bundle(std::span<const std::uint8_t> bytes);

// The program hash of a module as write() would store it.
std::uint64_t program_hash(const Module& m);
// FNV-1a 64, the hash used for the checksum, the program hash and source hashes.
std::uint64_t fnv1a64(std::span<const std::uint8_t> bytes, std::uint64_t h = 0xcbf29ce484222325ull);

// Whether s is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace cascade::bytecode
