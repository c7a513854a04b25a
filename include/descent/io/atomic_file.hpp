// Atomic file replacement: the bytes go to a temporary file in the target's
// folder, which is flushed to disk (fsync) and then renamed over the target.
// A crash, a full disk or any error before the rename leaves the previous file
// exactly as it was; after the rename the new file is complete.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace descent::io {

/// A file written in full and then committed atomically; destroyed uncommitted, it
/// removes its temporary file and leaves the target untouched.
///
///     io::AtomicFile file("model.safetensors");
///     file.write(header.data(), header.size());
///     file.write(data, n);
///     file.commit();   // fsync, rename, fsync the folder
class AtomicFile {
public:
    /// Creates the temporary file "<path>.tmp-<pid>-<n>" beside `path`.
    explicit AtomicFile(std::string path);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    /// Appends bytes; a short write (a full disk) is an error naming the file and offset.
    void write(const void* data, std::size_t size);
    void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
    /// Flushes to disk and renames over the target. Errors leave the target untouched.
    void commit();

    const std::string& path() const { return path_; }
    const std::string& temp_path() const { return temp_path_; }
    /// Bytes written so far.
    std::size_t size() const { return written_; }

private:
    void discard() noexcept;

    std::string path_, temp_path_;
    int fd_ = -1;
    std::size_t written_ = 0;
    bool committed_ = false;
};

/// Replaces `path` with `bytes` atomically (AtomicFile in one call).
void write_file_atomic(const std::string& path, std::string_view bytes);

}  // namespace descent::io
