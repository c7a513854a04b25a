// SmallVector<T, N>: a vector that keeps up to N elements inside itself and goes to
// the heap only beyond that. Shapes and strides are one per tensor and nearly always
// have ≤ 6 dims, so a std::vector there cost two heap allocations per tensor (per view,
// per gradient) in every training step. It offers the part of std::vector's interface
// the code uses and converts to and from std::vector<T>, so code written for a
// std::vector shape keeps compiling. T must be trivially copyable (shape extents).
#pragma once
#include <algorithm>
#include <compare>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace descent {

template <class T, std::size_t N>
class SmallVector {
    static_assert(std::is_trivially_copyable_v<T>, "SmallVector holds trivially copyable values only");

public:
    using value_type = T;
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    using reference = T&;
    using const_reference = const T&;
    using pointer = T*;
    using const_pointer = const T*;
    using iterator = T*;
    using const_iterator = const T*;
    using reverse_iterator = std::reverse_iterator<iterator>;
    using const_reverse_iterator = std::reverse_iterator<const_iterator>;

    SmallVector() = default;
    explicit SmallVector(size_type n, const T& value = T()) { assign(n, value); }
    SmallVector(std::initializer_list<T> values) { assign(values.begin(), values.end()); }
    template <std::input_iterator It>
    SmallVector(It first, It last) {
        assign(first, last);
    }
    /// From a std::vector, so APIs taking a shape accept one.
    SmallVector(const std::vector<T>& values) { assign(values.begin(), values.end()); }  // NOLINT: implicit by design
    SmallVector(const SmallVector& other) { assign(other.begin(), other.end()); }
    SmallVector(SmallVector&& other) noexcept { take(other); }
    SmallVector& operator=(const SmallVector& other) {
        if (this != &other) assign(other.begin(), other.end());
        return *this;
    }
    SmallVector& operator=(SmallVector&& other) noexcept {
        if (this != &other) {
            release();
            take(other);
        }
        return *this;
    }
    SmallVector& operator=(std::initializer_list<T> values) {
        assign(values.begin(), values.end());
        return *this;
    }
    ~SmallVector() { release(); }

    /// To a std::vector, for code that wants one.
    operator std::vector<T>() const { return std::vector<T>(begin(), end()); }  // NOLINT: implicit by design

    // ---- access ---------------------------------------------------------------------------
    size_type size() const { return size_; }
    bool empty() const { return size_ == 0; }
    size_type capacity() const { return capacity_; }
    T* data() { return data_; }
    const T* data() const { return data_; }
    T& operator[](size_type i) { return data_[i]; }
    const T& operator[](size_type i) const { return data_[i]; }
    T& at(size_type i) { return data_[checked(i)]; }
    const T& at(size_type i) const { return data_[checked(i)]; }
    T& front() { return data_[0]; }
    const T& front() const { return data_[0]; }
    T& back() { return data_[size_ - 1]; }
    const T& back() const { return data_[size_ - 1]; }
    iterator begin() { return data_; }
    iterator end() { return data_ + size_; }
    const_iterator begin() const { return data_; }
    const_iterator end() const { return data_ + size_; }
    const_iterator cbegin() const { return data_; }
    const_iterator cend() const { return data_ + size_; }
    reverse_iterator rbegin() { return reverse_iterator(end()); }
    reverse_iterator rend() { return reverse_iterator(begin()); }
    const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
    const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }

    // ---- changes --------------------------------------------------------------------------
    void reserve(size_type n) {
        if (n <= capacity_) return;
        T* heap = static_cast<T*>(::operator new(n * sizeof(T)));
        if (size_) std::memcpy(heap, data_, size_ * sizeof(T));
        release();
        data_ = heap;
        capacity_ = n;
    }
    void clear() { size_ = 0; }
    // Values are taken by copy before any growth: they may be elements of this vector.
    void resize(size_type n, T value = T()) {
        reserve(n);
        for (size_type i = size_; i < n; ++i) data_[i] = value;
        size_ = n;
    }
    void assign(size_type n, T value) {
        size_ = 0;
        resize(n, value);
    }
    template <std::input_iterator It>
    void assign(It first, It last) {
        size_ = 0;
        if constexpr (std::forward_iterator<It>) reserve(static_cast<size_type>(std::distance(first, last)));
        for (; first != last; ++first) push_back(*first);
    }
    void assign(std::initializer_list<T> values) { assign(values.begin(), values.end()); }
    void push_back(T value) {
        if (size_ == capacity_) reserve(grown());
        data_[size_++] = value;
    }
    T& emplace_back(T value) {
        push_back(value);
        return back();
    }
    void pop_back() { --size_; }
    iterator insert(const_iterator pos, const T& value) { return insert(pos, &value, &value + 1); }
    iterator insert(const_iterator pos, size_type n, T value) {
        const size_type at = open_gap(pos, n);
        std::fill_n(data_ + at, n, value);
        return data_ + at;
    }
    template <std::forward_iterator It>
    iterator insert(const_iterator pos, It first, It last) {
        // Copied out first: [first, last) may lie inside this vector.
        const SmallVector values(first, last);
        const size_type at = open_gap(pos, values.size());
        std::copy(values.begin(), values.end(), data_ + at);
        return data_ + at;
    }
    iterator insert(const_iterator pos, std::initializer_list<T> values) {
        return insert(pos, values.begin(), values.end());
    }
    iterator erase(const_iterator pos) { return erase(pos, pos + 1); }
    iterator erase(const_iterator first, const_iterator last) {
        T* f = data_ + (first - data_);
        const size_type n = static_cast<size_type>(last - first);
        std::copy(last, cend(), f);
        size_ -= n;
        return f;
    }
    void swap(SmallVector& other) noexcept {
        SmallVector tmp(std::move(other));
        other = std::move(*this);
        *this = std::move(tmp);
    }

    friend bool operator==(const SmallVector& a, const SmallVector& b) {
        return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
    }
    friend auto operator<=>(const SmallVector& a, const SmallVector& b) {
        return std::lexicographical_compare_three_way(a.begin(), a.end(), b.begin(), b.end());
    }

private:
    bool on_heap() const { return data_ != inline_; }
    size_type grown() const { return std::max<size_type>(2 * capacity_, N + 1); }
    size_type checked(size_type i) const {
        if (i >= size_) throw std::out_of_range("SmallVector::at: index out of range");
        return i;
    }
    void release() {
        if (on_heap()) ::operator delete(data_);
        data_ = inline_;
        capacity_ = N;
    }
    // Takes other's elements (its heap block, if any) and leaves it empty.
    void take(SmallVector& other) {
        if (other.on_heap()) {
            data_ = other.data_;
            capacity_ = other.capacity_;
            other.data_ = other.inline_;
            other.capacity_ = N;
        } else {
            std::memcpy(inline_, other.inline_, other.size_ * sizeof(T));
        }
        size_ = other.size_;
        other.size_ = 0;
    }
    // Moves [pos, end) up by n; returns pos as an index.
    size_type open_gap(const_iterator pos, size_type n) {
        const size_type at = static_cast<size_type>(pos - data_);
        if (size_ + n > capacity_) reserve(std::max(size_ + n, grown()));
        std::copy_backward(data_ + at, data_ + size_, data_ + size_ + n);
        size_ += n;
        return at;
    }

    T* data_ = inline_;
    size_type size_ = 0;
    size_type capacity_ = N;
    T inline_[N];
};

}  // namespace descent
