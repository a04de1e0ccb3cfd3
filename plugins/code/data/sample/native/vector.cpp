// Small numeric helpers used by the forecasting job.
#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace forecast {

template <typename T>
class MovingAverage {
public:
    explicit MovingAverage(std::size_t windowSize) : windowSize_(windowSize) {
        if (windowSize_ == 0) {
            throw std::invalid_argument("windowSize must be positive");
        }
    }

    std::vector<double> apply(const std::vector<T>& values) const {
        std::vector<double> out;
        if (values.size() < windowSize_) {
            return out;
        }
        double sum = std::accumulate(values.begin(), values.begin() + windowSize_, 0.0);
        out.push_back(sum / windowSize_);
        for (std::size_t i = windowSize_; i < values.size(); ++i) {
            sum += values[i] - values[i - windowSize_];
            out.push_back(sum / windowSize_);
        }
        return out;
    }

private:
    std::size_t windowSize_;
};

double medianOf(std::vector<double> values) {
    if (values.empty()) throw std::invalid_argument("empty input");
    auto middle = values.begin() + values.size() / 2;
    std::nth_element(values.begin(), middle, values.end());
    return *middle;
}

}  // namespace forecast
