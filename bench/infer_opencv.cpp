// infer_opencv: forward time of a Darknet cfg/weights pair (the folded network that `darknet
// ternary fold` writes) in OpenCV's DNN module (Debian's libopencv-dnn-dev), for bench/infer.sh.
//   usage: infer_opencv CFG WEIGHTS BATCH THREADS SECONDS
// The input is BATCH images of random values of the cfg's [net] size; the network runs on
// OpenCV's own CPU backend with cv::setNumThreads(THREADS), warmed up 3 times, then repeatedly for
// SECONDS seconds (at least 5 times). Prints
//   engine=opencv batch=B threads=T median_ms=... min_ms=... reps=N
// and, once, which CPU features OpenCV was built for and uses (cv::getCPUFeaturesLine).
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>
#include "../tests/cfg_net_shape.hpp"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>


static double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int main(int argc, char **argv)
{
    if(argc != 6){
        fprintf(stderr, "usage: infer_opencv CFG WEIGHTS BATCH THREADS SECONDS\n");
        return 2;
    }
    int h, w, c, batch = atoi(argv[3]), threads = atoi(argv[4]);
    double seconds = atof(argv[5]);
    if(!net_shape(argv[1], h, w, c) || batch < 1 || threads < 1){
        fprintf(stderr, "infer_opencv: %s: no height/width/channels in [net], or a bad batch or thread count\n", argv[1]);
        return 1;
    }
    cv::setNumThreads(threads);
    cv::dnn::Net net = cv::dnn::readNetFromDarknet(argv[1], argv[2]);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    int shape[4] = {batch, c, h, w};
    cv::Mat x(4, shape, CV_32F);
    cv::randu(x, 0.0f, 1.0f);
    std::vector<double> t;
    for(int i = 0; i < 3; ++i){
        net.setInput(x);
        net.forward();
    }
    double spent = 0;
    while(spent < seconds || t.size() < 5){
        double t0 = now();
        net.setInput(x);
        cv::Mat y = net.forward();
        double d = now() - t0;
        t.push_back(d);
        spent += d;
    }
    std::sort(t.begin(), t.end());
    size_t n = t.size();
    double med = n % 2 ? t[n/2] : 0.5*(t[n/2 - 1] + t[n/2]);
    printf("engine=opencv batch=%d threads=%d median_ms=%.4f min_ms=%.4f reps=%zu\n", batch, cv::getNumThreads(),
           1e3*med, 1e3*t[0], n);
    fprintf(stderr, "opencv %s, CPU features: %s\n", CV_VERSION, cv::getCPUFeaturesLine().c_str());
    return 0;
}
