// DeadlineQueue: one deadline per key, taken in time order, only when due;
// set() moves a deadline either way, lower() only earlier.
#include <gtest/gtest.h>

#include "util/deadline_queue.hpp"

namespace gn {
namespace {

using Queue = DeadlineQueue<int>;
using std::chrono::seconds;
const Queue::TimePoint t0{seconds(100)};

TEST(DeadlineQueue, TakesOnlyWhatIsDueInTimeOrder) {
  Queue q;
  q.set(1, t0 + seconds(3));
  q.set(2, t0 + seconds(1));
  q.set(3, t0 + seconds(2));
  EXPECT_EQ(q.earliest(), t0 + seconds(1));
  EXPECT_TRUE(q.take_due(t0).empty());
  EXPECT_EQ(q.take_due(t0 + seconds(2)), (std::vector<int>{2, 3}));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_FALSE(q.contains(2));
  EXPECT_EQ(q.earliest(), t0 + seconds(3));
  EXPECT_EQ(q.take_due(t0 + seconds(3)), (std::vector<int>{1}));
  EXPECT_EQ(q.earliest(), Queue::TimePoint::max());
}

TEST(DeadlineQueue, EqualDeadlinesComeInTheOrderTheyWereSet) {
  Queue q;
  for (int k : {5, 3, 9}) q.set(k, t0);
  EXPECT_EQ(q.take_due(t0), (std::vector<int>{5, 3, 9}));
}

TEST(DeadlineQueue, SetReplacesTheKeysDeadlineEitherWay) {
  Queue q;
  q.set(1, t0 + seconds(1));
  q.set(1, t0 + seconds(5));  // later
  EXPECT_EQ(q.size(), 1u);
  EXPECT_TRUE(q.take_due(t0 + seconds(1)).empty());
  q.set(1, t0 + seconds(2));  // earlier
  EXPECT_EQ(q.take_due(t0 + seconds(2)), (std::vector<int>{1}));
}

TEST(DeadlineQueue, SettingNeverRemovesTheKey) {
  Queue q;
  q.set(1, t0);
  q.set(1, Queue::TimePoint::max());
  EXPECT_FALSE(q.contains(1));
  EXPECT_EQ(q.size(), 0u);
  q.set(2, Queue::TimePoint::max());
  EXPECT_FALSE(q.contains(2));
}

TEST(DeadlineQueue, LowerOnlyMovesEarlierAndAddsAMissingKey) {
  Queue q;
  q.set(1, t0 + seconds(2));
  q.lower(1, t0 + seconds(4));
  EXPECT_EQ(q.earliest(), t0 + seconds(2));
  q.lower(1, t0 + seconds(1));
  EXPECT_EQ(q.earliest(), t0 + seconds(1));
  q.lower(2, t0 + seconds(3));
  EXPECT_TRUE(q.contains(2));
  q.lower(3, Queue::TimePoint::max());
  EXPECT_FALSE(q.contains(3));
  EXPECT_EQ(q.take_due(t0 + seconds(3)), (std::vector<int>{1, 2}));
}

TEST(DeadlineQueue, EraseForgetsTheKey) {
  Queue q;
  q.set(1, t0);
  q.set(2, t0);
  q.erase(1);
  q.erase(7);  // absent: nothing happens
  EXPECT_EQ(q.take_due(t0), (std::vector<int>{2}));
}

// The point of it: a tick with one key due among many takes only that one.
TEST(DeadlineQueue, ATickTakesOnlyTheDueKeysAmongMany) {
  Queue q;
  for (int k = 0; k < 10000; ++k) q.set(k, t0 + seconds(10 + k));
  q.set(42, t0);
  EXPECT_EQ(q.take_due(t0), (std::vector<int>{42}));
  EXPECT_EQ(q.size(), 9999u);
}

}  // namespace
}  // namespace gn
