// Synthetic 2-D sets. Points, noise and shuffling draw from three generators
// derived from the seed, so changing the noise moves the same points without
// changing which points there are or their order.
#include "descent/data/synthetic.hpp"

#include <cmath>
#include <numbers>
#include <vector>

namespace descent::data {

namespace {
constexpr double kPi = std::numbers::pi;

struct Builder {
    std::vector<double> xy;  // n × 2
    std::vector<std::int64_t> labels;
    void add(double x, double y, std::int64_t label) {
        xy.push_back(x);
        xy.push_back(y);
        labels.push_back(label);
    }
};

void check_common(const char* op, std::int64_t n, const SyntheticOptions& o) {
    DESCENT_CHECK(n > 0, op, ": n must be positive, got ", n);
    DESCENT_CHECK(o.noise >= 0.0, op, ": noise must be >= 0, got ", o.noise);
}

// `count` split into `parts` as evenly as possible, the first parts one larger.
std::int64_t share(std::int64_t count, std::int64_t parts, std::int64_t part) {
    return count / parts + (part < count % parts ? 1 : 0);
}

// Evenly spaced values: linspace(start, stop, m) with or without the endpoint.
double spaced(double start, double stop, std::int64_t i, std::int64_t m, bool endpoint) {
    const std::int64_t intervals = endpoint ? m - 1 : m;
    return intervals == 0 ? start : start + (stop - start) * static_cast<double>(i) / static_cast<double>(intervals);
}

Points2D finish(Builder& b, std::int64_t num_classes, const SyntheticOptions& o, bool shuffle) {
    const std::int64_t n = static_cast<std::int64_t>(b.labels.size());
    if (o.noise > 0.0) {
        Generator noise(o.seed ^ 0x6E6F697365ULL);  // "noise"
        for (double& v : b.xy) v += o.noise * noise.normal();
    }
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
    if (shuffle) {
        Generator g(o.seed ^ 0x73687566ULL);  // "shuf"
        order = randperm(n, g);
    }
    std::vector<float> xy(static_cast<std::size_t>(2 * n));
    std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
        const auto src = static_cast<std::size_t>(order[static_cast<std::size_t>(i)]);
        xy[static_cast<std::size_t>(2 * i)] = static_cast<float>(b.xy[2 * src]);
        xy[static_cast<std::size_t>(2 * i + 1)] = static_cast<float>(b.xy[2 * src + 1]);
        labels[static_cast<std::size_t>(i)] = b.labels[src];
    }
    return {Tensor::from(xy, {n, 2}), Tensor::from(labels, {n}), num_classes};
}
}  // namespace

Tensor Points2D::binary_targets() const {
    DESCENT_CHECK(num_classes == 2, "Points2D::binary_targets: needs 2 classes, this set has ", num_classes,
                  " (use labels with CrossEntropyLoss)");
    return labels.to(kFloat32).reshape({labels.size(0), 1});
}

TensorDataset Points2D::binary_dataset() const { return TensorDataset(inputs, binary_targets()); }

TensorDataset Points2D::dataset() const { return TensorDataset(inputs, labels); }

Points2D make_linear(std::int64_t n, SyntheticOptions options) {
    check_common("make_linear", n, options);
    Generator g(options.seed);
    Builder b;
    for (std::int64_t i = 0; i < n; ++i) {
        const double x = g.normal(), y = g.normal();
        b.add(x, y, x + y > 0.0 ? 1 : 0);
    }
    return finish(b, 2, options, false);
}

Points2D make_xor(std::int64_t n, SyntheticOptions options) {
    check_common("make_xor", n, options);
    Generator g(options.seed);
    Builder b;
    for (std::int64_t i = 0; i < n; ++i) {
        const double x = 2.0 * g.uniform_double() - 1.0, y = 2.0 * g.uniform_double() - 1.0;
        b.add(x, y, (x > 0.0) != (y > 0.0) ? 1 : 0);
    }
    return finish(b, 2, options, false);
}

Points2D make_moons(std::int64_t n, SyntheticOptions options) {
    check_common("make_moons", n, options);
    const std::int64_t n_out = n / 2, n_in = n - n_out;
    Builder b;
    for (std::int64_t i = 0; i < n_out; ++i) {
        const double t = spaced(0.0, kPi, i, n_out, true);
        b.add(std::cos(t), std::sin(t), 0);
    }
    for (std::int64_t i = 0; i < n_in; ++i) {
        const double t = spaced(0.0, kPi, i, n_in, true);
        b.add(1.0 - std::cos(t), 1.0 - std::sin(t) - 0.5, 1);
    }
    return finish(b, 2, options, true);
}

Points2D make_circles(std::int64_t n, double factor, SyntheticOptions options) {
    check_common("make_circles", n, options);
    DESCENT_CHECK(factor > 0.0 && factor < 1.0, "make_circles: factor has to be between 0 and 1, got ", factor);
    const std::int64_t n_out = n / 2, n_in = n - n_out;
    Builder b;
    for (std::int64_t i = 0; i < n_out; ++i) {
        const double t = spaced(0.0, 2.0 * kPi, i, n_out, false);
        b.add(std::cos(t), std::sin(t), 0);
    }
    for (std::int64_t i = 0; i < n_in; ++i) {
        const double t = spaced(0.0, 2.0 * kPi, i, n_in, false);
        b.add(factor * std::cos(t), factor * std::sin(t), 1);
    }
    return finish(b, 2, options, true);
}

Points2D make_spirals(std::int64_t n, std::int64_t arms, SyntheticOptions options) {
    check_common("make_spirals", n, options);
    DESCENT_CHECK(arms >= 1, "make_spirals: arms must be positive, got ", arms);
    Builder b;
    for (std::int64_t a = 0; a < arms; ++a) {
        const std::int64_t m = share(n, arms, a);
        for (std::int64_t i = 0; i < m; ++i) {
            const double r = spaced(0.05, 1.0, i, m, true);
            const double angle = 2.0 * kPi * static_cast<double>(a) / static_cast<double>(arms) + 3.0 * kPi * r;
            b.add(r * std::cos(angle), r * std::sin(angle), a);
        }
    }
    return finish(b, arms, options, true);
}

Points2D make_blobs(std::int64_t n, std::int64_t centers, double cluster_std, SyntheticOptions options) {
    check_common("make_blobs", n, options);
    DESCENT_CHECK(centers >= 1, "make_blobs: centers must be positive, got ", centers);
    DESCENT_CHECK(cluster_std >= 0.0, "make_blobs: cluster_std must be >= 0, got ", cluster_std);
    Generator g(options.seed);
    Builder b;
    for (std::int64_t c = 0; c < centers; ++c) {
        const double angle = 2.0 * kPi * static_cast<double>(c) / static_cast<double>(centers);
        const double cx = 3.0 * std::cos(angle), cy = 3.0 * std::sin(angle);
        for (std::int64_t i = 0; i < share(n, centers, c); ++i)
            b.add(cx + cluster_std * g.normal(), cy + cluster_std * g.normal(), c);
    }
    return finish(b, centers, options, true);
}

}  // namespace descent::data
