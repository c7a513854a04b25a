// POSIX implementation of AtomicFile: open(O_EXCL) of a fresh name in the same
// folder (rename is only atomic within one file system), write loop, fsync,
// rename, fsync of the folder so the rename itself survives a power cut.
#include "descent/io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "descent/core/error.hpp"

namespace descent::io {

namespace {

std::atomic<unsigned> temp_counter{0};

std::string folder_of(const std::string& path) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
    DESCENT_CHECK(!path_.empty(), "AtomicFile: empty path");
    for (int attempt = 0; attempt < 100; ++attempt) {
        temp_path_ = path_ + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(temp_counter++);
        // 0666 minus the umask: the permissions an ordinary new file would get.
        fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd_ >= 0) return;
        if (errno != EEXIST) break;
    }
    detail::fail("cannot write ", path_, ": creating the temporary file ", temp_path_, " failed: ",
                 std::strerror(errno));
}

AtomicFile::~AtomicFile() {
    if (!committed_) discard();
}

void AtomicFile::discard() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFile::write(const void* data, std::size_t size) {
    DESCENT_CHECK(fd_ >= 0 && !committed_, "AtomicFile: write to ", path_, " after commit or failure");
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd_, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = n < 0 ? errno : ENOSPC;
            discard();
            detail::fail("cannot write ", path_, ": writing the temporary file failed at byte offset ", written_, ": ",
                         std::strerror(err), " (the previous file is unchanged)");
        }
        p += n;
        size -= static_cast<std::size_t>(n);
        written_ += static_cast<std::size_t>(n);
    }
}

void AtomicFile::commit() {
    DESCENT_CHECK(fd_ >= 0 && !committed_, "AtomicFile: commit of ", path_, " after commit or failure");
    if (::fsync(fd_) != 0) {
        const int err = errno;
        discard();
        detail::fail("cannot write ", path_, ": fsync of the temporary file failed: ", std::strerror(err),
                     " (the previous file is unchanged)");
    }
    const int close_rc = ::close(fd_);
    fd_ = -1;
    if (close_rc != 0) {
        const int err = errno;
        discard();
        detail::fail("cannot write ", path_, ": closing the temporary file failed: ", std::strerror(err),
                     " (the previous file is unchanged)");
    }
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
        const int err = errno;
        discard();
        detail::fail("cannot write ", path_, ": renaming ", temp_path_, " over it failed: ", std::strerror(err),
                     " (the previous file is unchanged)");
    }
    committed_ = true;
    // Persist the rename: without this a power cut may bring back the old directory entry.
    const int dir = ::open(folder_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
    AtomicFile file(path);
    file.write(bytes);
    file.commit();
}

}  // namespace descent::io
