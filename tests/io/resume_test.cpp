// Exact resume: training stopped after two epochs, saved with save_checkpoint and
// restored into freshly built (differently initialized) objects continues bit for
// bit as a run that never stopped — losses and parameters equal, not just close.
#include <gtest/gtest.h>

#include <filesystem>

#include "descent/data/dataloader.hpp"
#include "descent/data/tensor_dataset.hpp"
#include "descent/io/checkpoint.hpp"
#include "descent/nn.hpp"
#include "descent/optim.hpp"

using namespace descent;

namespace {

struct TrainingRun {
    Generator loader_gen, dropout_gen;
    nn::Sequential model;
    optim::Adam optimizer;
    optim::StepLR scheduler;
    data::DataLoader loader;

    // `seed` drives the initialization and the streams: a resumed run starts from other values.
    TrainingRun(const data::TensorDataset& dataset, std::uint64_t seed)
        : loader_gen(seed + 1),
          dropout_gen(seed + 2),
          model((manual_seed(seed), nn::Sequential(nn::Linear(3, 8), nn::ReLU(),
                                                   nn::Dropout({.p = 0.25, .generator = &dropout_gen}),
                                                   nn::Linear(8, 3)))),
          optimizer(model.parameters(), {.lr = 0.05}),
          scheduler(optimizer, {.step_size = 2, .gamma = 0.5}),
          loader(dataset, {.batch_size = 8, .shuffle = true, .generator = &loader_gen}) {}

    std::vector<float> train(int epochs) {
        nn::CrossEntropyLoss criterion;
        std::vector<float> losses;
        for (int e = 0; e < epochs; ++e) {
            for (auto [x, y] : loader) {
                Tensor loss = criterion(model(x), y);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                losses.push_back(loss.item<float>());
            }
            scheduler.step();
        }
        return losses;
    }

    std::vector<float> params() const {
        std::vector<float> out;
        for (const Tensor& p : model.parameters()) {
            const auto v = p.to_vector<float>();
            out.insert(out.end(), v.begin(), v.end());
        }
        return out;
    }
};

}  // namespace

TEST(Resume, CheckpointContinuesBitForBit) {
    Generator data_gen(2024);
    const data::TensorDataset dataset(Tensor::randn({36, 3}, {.generator = &data_gen}),
                                      Tensor::randint(0, 3, {36}, {.generator = &data_gen}));
    TrainingRun straight(dataset, 10);
    const std::vector<float> losses = straight.train(4);

    TrainingRun first(dataset, 10);
    const std::vector<float> first_half = first.train(2);
    const std::string path = std::string(DESCENT_BINARY_DIR) + "/resume_test.ckpt.safetensors";
    io::save_checkpoint(path, {.model = first.model.state_dict(),
                               .optimizer = first.optimizer.state_dict(),
                               .scheduler = first.scheduler.state_dict(),
                               .loader = first.loader.state_dict(),
                               .epoch = 2,
                               .generators = {{"dropout", first.dropout_gen.get_state()}}});

    TrainingRun resumed(dataset, 777);  // other weights, other streams: everything must come from the file
    ASSERT_NE(resumed.params(), first.params());
    const io::Checkpoint c = io::load_checkpoint(path);
    EXPECT_EQ(c.epoch, 2);
    resumed.model.load_state_dict(c.model);
    resumed.optimizer.load_state_dict(c.optimizer);
    resumed.scheduler.load_state_dict(c.scheduler);
    resumed.loader.load_state_dict(c.loader);
    resumed.dropout_gen.set_state(c.generators.at("dropout"));
    const std::vector<float> second_half = resumed.train(2);

    std::vector<float> joined = first_half;
    joined.insert(joined.end(), second_half.begin(), second_half.end());
    EXPECT_EQ(joined, losses);
    EXPECT_EQ(resumed.params(), straight.params());
    EXPECT_EQ(resumed.optimizer.lr(), straight.optimizer.lr());
    std::filesystem::remove(path);
}
