// netout_opencv: `netout run` (tests/netout.c) through OpenCV's DNN module: reads a Darknet
// cfg/weights pair with cv::dnn::readNetFromDarknet, feeds the same pseudo-random input and
// prints the outputs that `netout run` prints: the layer before each detection head, or the last
// layer before a final softmax; one %.9g per line.
//   usage: netout_opencv run CFG WEIGHTS SEED
//          netout_opencv valid CFG WEIGHTS LIST LABELS   (built with -DNETOUT_STB, Debian's
//                 libstb): top-1 over the images in LIST, each image's class being the label
//                 its path contains, as `darknet classifier valid` counts it (images already of
//                 the network's size; RGB in [0, 1], planar, as Darknet loads them)
#include <opencv2/dnn.hpp>
#include "cfg_net_shape.hpp"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#ifdef NETOUT_STB
#include <stb/stb_image.h>
#endif

static unsigned long long rng;

static float urand()  // the same sequence as netout.c's urand
{
    rng = rng*6364136223846793005ULL + 1442695040888963407ULL;
    return (float)(rng >> 40)/16777216.0f;
}


#ifdef NETOUT_STB
static int valid(const char *cfg, const char *weights, const char *list, const char *labels_file)
{
    int h, w, c;
    if(!net_shape(cfg, h, w, c)){
        fprintf(stderr, "%s: no height/width/channels in [net]\n", cfg);
        return 1;
    }
    std::vector<std::string> labels, paths;
    std::string line;
    std::ifstream lf(labels_file), pf(list);
    while(std::getline(lf, line)) if(!line.empty()) labels.push_back(line);
    while(std::getline(pf, line)) if(!line.empty()) paths.push_back(line);
    if(labels.empty() || paths.empty()){
        fprintf(stderr, "%s or %s: empty or unreadable\n", labels_file, list);
        return 1;
    }
    cv::dnn::Net net = cv::dnn::readNetFromDarknet(cfg, weights);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    int shape[4] = {1, c, h, w}, correct = 0;
    cv::Mat x(4, shape, CV_32F);
    for(const std::string &path : paths){
        int iw, ih, ic;
        unsigned char *px = stbi_load(path.c_str(), &iw, &ih, &ic, c);
        if(!px || iw != w || ih != h){
            fprintf(stderr, "%s: cannot load, or not %dx%d\n", path.c_str(), w, h);
            return 1;
        }
        float *p = x.ptr<float>();
        for(int k = 0; k < c; ++k)
            for(int i = 0; i < h*w; ++i) p[k*h*w + i] = px[i*c + k]/255.0f;
        stbi_image_free(px);
        net.setInput(x);
        cv::Mat y = net.forward();
        cv::Point best;
        cv::minMaxLoc(y.reshape(1, 1), 0, 0, 0, &best);
        int truth = -1;
        for(size_t j = 0; j < labels.size(); ++j) if(path.find(labels[j]) != std::string::npos) truth = (int)j;
        correct += best.x == truth;
    }
    printf("top-1 %.6f (%d of %zu)\n", (double)correct/paths.size(), correct, paths.size());
    return 0;
}
#endif

// netout's input for SEED: one image 1 x c x h x w of urand() values
static cv::Mat seeded_input(int c, int h, int w, const char *seed)
{
    int shape[4] = {1, c, h, w};
    cv::Mat x(4, shape, CV_32F);
    rng = strtoull(seed, 0, 10);
    float *p = x.ptr<float>();
    for(size_t i = 0; i < x.total(); ++i) p[i] = urand();
    return x;
}

int main(int argc, char **argv)
{
#ifdef NETOUT_STB
    if(argc == 6 && std::string(argv[1]) == "valid"){
        try {
            return valid(argv[2], argv[3], argv[4], argv[5]);
        } catch(const cv::Exception &e){
            fprintf(stderr, "%s, %s: OpenCV: %s\n", argv[2], argv[3], e.what());
            return 1;
        }
    }
#endif
    if(argc >= 6 && std::string(argv[1]) == "onnx"){
        // netout_opencv onnx MODEL.onnx CFG SEED TENSOR...: the export (`darknet ternary onnx`) read
        // by cv::dnn::readNetFromONNX on the same input; each named tensor (the graph's names, which
        // the importer keeps as layer names), one %.9g per line
        int h, w, c;
        if(!net_shape(argv[3], h, w, c)){
            fprintf(stderr, "%s: no height/width/channels in [net]\n", argv[3]);
            return 1;
        }
        try {
            cv::dnn::Net net = cv::dnn::readNetFromONNX(argv[2]);
            net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
            net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
            net.setInput(seeded_input(c, h, w, argv[4]));
            std::vector<std::string> names;   // the importer names each layer "onnx_node!" + its node's name
            for(int k = 5; k < argc; ++k) names.push_back(std::string("onnx_node!") + argv[k]);
            std::vector<cv::Mat> outs;
            net.forward(outs, names);
            for(const cv::Mat &m : outs){
                const float *q = m.ptr<float>();
                for(size_t i = 0; i < m.total(); ++i) printf("%.9g\n", q[i]);
            }
        } catch(const cv::Exception &e){
            fprintf(stderr, "%s: OpenCV: %s\n", argv[2], e.what());
            return 1;
        }
        return 0;
    }
    if(argc != 5 || std::string(argv[1]) != "run"){
        fprintf(stderr, "usage: netout_opencv run CFG WEIGHTS SEED\n");
        fprintf(stderr, "       netout_opencv onnx MODEL.onnx CFG SEED TENSOR...\n");
#ifdef NETOUT_STB
        fprintf(stderr, "       netout_opencv valid CFG WEIGHTS LIST LABELS\n");
#endif
        return 2;
    }
    int h, w, c;
    if(!net_shape(argv[2], h, w, c)){
        fprintf(stderr, "%s: no height/width/channels in [net]\n", argv[2]);
        return 1;
    }
    try {
        cv::dnn::Net net = cv::dnn::readNetFromDarknet(argv[2], argv[3]);
        net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        net.setInput(seeded_input(c, h, w, argv[4]));
        // OpenCV names layers by kind and Darknet number (conv_4, bn_4, leaky_5, ...); the
        // output of a Darknet layer is that of the last OpenCV layer before the next one's
        std::vector<std::string> names = net.getLayerNames(), outs;
        auto is = [](const std::string &n, const char *kind){ return n.compare(0, strlen(kind), kind) == 0; };
        for(size_t i = 1; i < names.size(); ++i){
            if(is(names[i], "yolo") || is(names[i], "region") || is(names[i], "detection")){
                size_t j = i - 1;
                while(j > 0 && is(names[j], "permute")) --j;
                outs.push_back(names[j]);
            }
        }
        size_t last = names.size() - 1;
        bool head = false;
        while(last > 0 && (is(names[last], "softmax") || is(names[last], "yolo") ||
                           is(names[last], "region") || is(names[last], "detection") ||
                           is(names[last], "permute"))){
            head = head || !is(names[last], "softmax");
            --last;
        }
        if(!head) outs.push_back(names[last]);
        std::vector<cv::Mat> ys;
        net.forward(ys, outs);
        for(const cv::Mat &y : ys){
            const float *q = y.ptr<float>();
            for(size_t i = 0; i < y.total(); ++i) printf("%.9g\n", q[i]);
        }
    } catch(const cv::Exception &e){
        fprintf(stderr, "%s, %s: OpenCV: %s\n", argv[2], argv[3], e.what());
        return 1;
    }
    return 0;
}
